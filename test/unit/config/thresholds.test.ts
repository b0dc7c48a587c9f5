import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { Thresholds } from '../../../config/thresholds.ts';
import { levelStatus, statusRank, STATUSES, worst } from '../../../protocol/status.ts';
import { ConfigError } from '../../../config/config-error.ts';

function file(content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'obsmon-thr-')), 't.yaml');
  writeFileSync(path, content);
  return path;
}

describe('Thresholds', () => {
  const thresholds = new Thresholds({
    defaults: { disk: { warning: 80, error: 90 }, cpu: { warning: 85, error: 95 } },
    groups: { cameras: { disk: { warning: 90, error: 95 } } },
    nodes: { ccd07: { disk: { warning: 60, error: 70 } } },
  });

  test('node override beats group override beats default', () => {
    expect(thresholds.levels('web1', 'default', 'disk')).toEqual({ warning: 80, error: 90 });
    expect(thresholds.levels('ccd01', 'cameras', 'disk')).toEqual({ warning: 90, error: 95 });
    expect(thresholds.levels('ccd07', 'cameras', 'disk')).toEqual({ warning: 60, error: 70 });
    expect(thresholds.levels('ccd07', 'cameras', 'cpu')).toEqual({ warning: 85, error: 95 });
  });

  test('status is warning at the warning level and error at the error level', () => {
    expect(levelStatus(thresholds.levels('web1', 'default', 'disk'), 79.9)).toBe('ok');
    expect(levelStatus(thresholds.levels('web1', 'default', 'disk'), 80)).toBe('warning');
    expect(levelStatus(thresholds.levels('web1', 'default', 'disk'), 90)).toBe('error');
    expect(levelStatus(thresholds.levels('web1', 'default', 'load1'), 1e6)).toBe('ok');
  });

  // Names, groups and keys come from agents: Object.prototype member names are names like any other.
  const prototypeNames = [...new Set([...Object.getOwnPropertyNames(Object.prototype), '__proto__', 'prototype'])];

  test.each(prototypeNames)('%s as node, group or key has no levels of its own', (name) => {
    expect(thresholds.levels(name, 'default', 'nokey')).toBeUndefined();
    expect(thresholds.levels('web1', name, 'nokey')).toBeUndefined();
    expect(thresholds.levels('web1', 'default', name)).toBeUndefined();
    expect(thresholds.levels(name, name, name)).toBeUndefined();
    expect(thresholds.levels(name, name, 'disk')).toEqual({ warning: 80, error: 90 });
    expect(levelStatus(thresholds.levels(name, name, name), 1e9)).toBe('ok');
    expect(thresholds.forNode(name, name).get(name)).toBeUndefined();
    expect(thresholds.defaultLevels(name)).toBeUndefined();
  });

  test('lists every metric with levels anywhere', () => {
    expect(thresholds.metrics()).toEqual(['cpu', 'disk']);
  });

  test('worst orders error > warning > stale > ok, one ranking for every component', () => {
    expect(worst('ok', 'warning')).toBe('warning');
    expect(worst('error', 'warning')).toBe('error');
    expect(worst('stale', 'ok')).toBe('stale');
    expect(worst('stale', 'warning')).toBe('warning');
    expect(STATUSES.map(statusRank)).toEqual([0, 1, 2, 3]);
    expect(STATUSES).toEqual(['ok', 'stale', 'warning', 'error']);
  });

  test('forNode resolves every key once for a node: node over group over default', () => {
    expect(Object.fromEntries(thresholds.forNode('ccd07', 'cameras'))).toEqual({
      disk: { warning: 60, error: 70 },
      cpu: { warning: 85, error: 95 },
    });
    expect(thresholds.forNode('ccd01', 'cameras').get('disk')).toEqual({ warning: 90, error: 95 });
    expect(thresholds.forNode('web1', 'default').get('disk')).toEqual({ warning: 80, error: 90 });
    for (const [node, group] of [
      ['web1', 'default'],
      ['ccd01', 'cameras'],
      ['ccd07', 'cameras'],
    ] as const)
      for (const key of ['disk', 'cpu', 'load1'])
        expect(thresholds.forNode(node, group).get(key)).toEqual(thresholds.levels(node, group, key));
  });

  test('a reload moves the generation, so levels compiled before are known to be old', () => {
    const t = new Thresholds({ defaults: { disk: { warning: 1, error: 2 } }, groups: {}, nodes: {} });
    const before = t.generation;
    t.replaceWith(new Thresholds({ defaults: { disk: { warning: 3, error: 4 } }, groups: {}, nodes: {} }));
    expect(t.generation).not.toBe(before);
    expect(t.forNode('n', 'default').get('disk')).toEqual({ warning: 3, error: 4 });
  });

  test('the built-in thresholds file loads and has the LAMOST 80 % disk warning', () => {
    expect(Thresholds.load().levels('x', 'default', 'disk')?.warning).toBe(80);
  });

  test('a file with warning above error is refused with a message naming the path', () => {
    const path = file('defaults:\n  disk: { warning: 95, error: 90 }\n');
    expect(() => Thresholds.load(path)).toThrow(ConfigError);
    expect(() => Thresholds.load(path)).toThrow(`${path}:2: defaults.disk: warning must not be above error`);
  });

  test('a file with an unknown section is refused at its line, with the closest section', () => {
    const path = file('# levels\ndefault:\n  disk: { warning: 1, error: 2 }\n');
    expect(() => Thresholds.load(path)).toThrow(
      `${path}:2: unknown key "default" (expected custom_metrics, defaults, groups, nodes; did you mean "defaults"?)`,
    );
  });
});
