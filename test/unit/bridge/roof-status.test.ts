import { describe, expect, test } from 'vitest';
import { MAX_REASONS_CHARS, roofStatus } from '../../../bridge/expose/roof-status.ts';
import type { MetricView, NodeView } from '../../../bridge/state/node-view.ts';
import type { SafetyRule } from '../../../bridge/state/safety-rules.ts';

const metric = (key: string, status: MetricView['status']): MetricView => ({
  key,
  qualifier: null,
  value: 1,
  timestamp: 0,
  status,
  warning: null,
  error: null,
});
function view(
  node: string,
  opts: { group?: string; critical?: boolean; up?: boolean; errors?: string[] } = {},
): NodeView {
  const up = opts.up ?? true;
  const errors = opts.errors ?? [];
  return {
    node,
    group: opts.group ?? 'default',
    critical: opts.critical ?? false,
    inventory: true,
    up,
    status: !up ? 'stale' : errors.length > 0 ? 'error' : 'ok',
    lastReportTimestamp: null,
    lastSeenSecondsAgo: null,
    clockSkewSeconds: 0,
    metrics: [metric('cpu', up ? 'ok' : 'stale'), ...errors.map((k) => metric(k, 'error'))],
  };
}

describe('roofStatus: the Weather Safety Proxy answer from the node views', () => {
  test('nothing wrong: open_ok 1 and a count, with plurals', () => {
    expect(roofStatus([], [])).toEqual({ open_ok: 1, reasons: 'no nodes known' });
    expect(roofStatus([view('a')], [])).toEqual({ open_ok: 1, reasons: '1 node ok' });
    expect(roofStatus([view('a'), view('b')], [])).toEqual({ open_ok: 1, reasons: 'all 2 nodes ok' });
  });

  test('no roof matter but not all ok: the counts tell the truth', () => {
    const warned = { ...view('w'), status: 'warning' as const };
    expect(roofStatus([view('a'), warned, view('spare', { up: false })], [])).toEqual({
      open_ok: 1,
      reasons: '3 nodes: 1 ok, 1 warning, 1 down (not critical)',
    });
    expect(roofStatus([view('spare', { up: false })], [])).toEqual({
      open_ok: 1,
      reasons: '1 node: 0 ok, 1 down (not critical)',
    });
  });

  test('advisory by default: critical nodes down and nodes in error are named, open_ok stays 1; a non-critical node down is not a roof matter', () => {
    const views = [
      view('ccd01', { errors: ['disk', 'temp'] }),
      view('dome-plc', { critical: true, up: false }),
      view('spare', { up: false }),
      view('ok1'),
    ];
    expect(roofStatus(views, [])).toEqual({ open_ok: 1, reasons: 'advisory: dome-plc down, ccd01 error (disk, temp)' });
  });

  test('a matching opt-in rule makes open_ok 0; its problems come first, the rest stay advisory', () => {
    const views = [
      view('ccd01', { group: 'cameras', errors: ['disk'] }),
      view('dome-cam', { group: 'dome', errors: ['temp'] }),
      view('mount', { critical: true, up: false }),
    ];
    const rules: SafetyRule[] = [{ when: 'error', group: 'dome' }];
    expect(roofStatus(views, rules)).toEqual({
      open_ok: 0,
      reasons: 'unsafe: dome-cam error (temp); advisory: mount down, ccd01 error (disk)',
    });
  });

  test.each<[string, SafetyRule, NodeView, 0 | 1]>([
    [
      'down + critical matches a critical node down',
      { when: 'down', critical: true },
      view('m', { critical: true, up: false }),
      0,
    ],
    [
      'down + critical does not match a node in error',
      { when: 'down', critical: true },
      view('m', { critical: true, errors: ['disk'] }),
      1,
    ],
    [
      'down without selectors matches a non-critical node down (and names it)',
      { when: 'down' },
      view('spare', { up: false }),
      0,
    ],
    ['node selects by name', { when: 'error', node: 'a' }, view('a', { errors: ['cpu'] }), 0],
    ['another name does not match', { when: 'error', node: 'b' }, view('a', { errors: ['cpu'] }), 1],
    [
      'critical: false selects non-critical nodes only',
      { when: 'error', critical: false },
      view('a', { critical: true, errors: ['cpu'] }),
      1,
    ],
    [
      'selectors combine (all must match)',
      { when: 'down', group: 'dome', critical: true },
      view('a', { group: 'dome', up: false }),
      1,
    ],
  ])('rule: %s', (_what, rule, v, openOk) => {
    expect(roofStatus([v], [rule]).open_ok).toBe(openOk);
  });

  test('reasons stay short and ASCII whatever the names and however many nodes fail', () => {
    const long = 'n'.repeat(60);
    const views = Array.from({ length: 500 }, (_, i) =>
      view(`${long}${String(i).padStart(4, '0')}`, { critical: true, up: false }),
    );
    const { reasons } = roofStatus(views, []);
    expect(reasons.length).toBeLessThanOrEqual(MAX_REASONS_CHARS);
    expect(reasons).toMatch(/^advisory: n+0000 down, n+0001 down, .*, \+\d+ more$/);
    const listed = reasons.match(/ down/g)!.length;
    expect(reasons.endsWith(`+${500 - listed} more`)).toBe(true);
    // At most 10 named, even when short names would fit more.
    const short = roofStatus(
      Array.from({ length: 30 }, (_, i) => view(`n${i}`, { critical: true, up: false })),
      [],
    ).reasons;
    expect(short.match(/ down/g)!.length).toBe(10);
    expect(short.endsWith(', +20 more')).toBe(true);
    // A peer bridge's JSON is not re-checked: anything outside the name alphabet becomes "?".
    const peer = { ...view('x', { critical: true, up: false }), node: 'evil\u00e9\n;"name' };
    expect(roofStatus([peer], []).reasons).toBe('advisory: evil????name down');
  });

  test('a node in error names at most three metric keys', () => {
    expect(roofStatus([view('a', { errors: ['cpu', 'disk', 'mem', 'temp'] })], []).reasons).toBe(
      'advisory: a error (cpu, disk, mem, ...)',
    );
  });
});
