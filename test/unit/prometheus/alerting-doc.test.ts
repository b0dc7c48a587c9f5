import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';

/**
 * docs/alerting.md claim by claim against what Prometheus and Alertmanager load: rule files and
 * groups, each alert's `for:`, `keep_firing_for:`, severities and the file its "Tune" line names,
 * the default levels it quotes, and the grouping, repeat and inhibition rules of alertmanager.yml.
 * (Routing is proven with amtool in alertmanager.test.ts, inhibition in a real Alertmanager.)
 */
const ROOT = new URL('../../../', import.meta.url).pathname;
const DOC = readFileSync(join(ROOT, 'docs/alerting.md'), 'utf8');

interface Rule {
  alert?: string;
  for?: string;
  keep_firing_for?: string;
  labels?: { severity?: string };
}
const rulesDir = join(ROOT, 'prometheus/rules');
const ruleFiles = readdirSync(rulesDir).filter((f) => f.endsWith('.yml'));
const groups = ruleFiles.flatMap((file) =>
  (parse(readFileSync(join(rulesDir, file), 'utf8')) as { groups: { name: string; rules: Rule[] }[] }).groups.map(
    (g) => ({ file, ...g }),
  ),
);
const alerts = new Map<string, { file: string; for: Set<string>; keep: Set<string>; severities: Set<string> }>();
for (const g of groups) {
  for (const r of g.rules) {
    if (r.alert === undefined) continue;
    const a = alerts.get(r.alert) ?? { file: g.file, for: new Set(), keep: new Set(), severities: new Set() };
    if (r.for !== undefined) a.for.add(r.for);
    if (r.keep_firing_for !== undefined) a.keep.add(r.keep_firing_for);
    if (r.labels?.severity !== undefined) a.severities.add(r.labels.severity);
    alerts.set(r.alert, a);
  }
}

/** The text of each `### Obsmon…` section; "As above" sections also read the one before. */
const sections = new Map<string, string>();
/** The section's own text only. */
const ownText = new Map<string, string>();
{
  const parts = DOC.split(/^### (Obsmon\w+)\n/m);
  for (let i = 1; i < parts.length; i += 2) {
    const body = parts[i + 1]!.split(/^## /m)[0]!.trim();
    const previous = i > 1 ? sections.get(parts[i - 2]!)! : '';
    ownText.set(parts[i]!, body);
    sections.set(parts[i]!, body.startsWith('As above') ? `${body}\n${previous}` : body);
  }
}

const UNITS = new Map([
  ['m', 'minute'],
  ['h', 'hour'],
]);
/** `5m` as the doc may write it: `for: 5m`, "for 5 minutes", "for 1 hour". */
function durationPhrases(d: string): string[] {
  const m = /^(\d+)([mh])$/.exec(d);
  if (m === null) throw new Error(`unexpected duration ${d}`);
  const word = `${UNITS.get(m[2]!)!}${m[1] === '1' ? '' : 's'}`;
  return [`for: ${d}\``, `for ${m[1]} ${word}`];
}

describe('docs/alerting.md against prometheus/rules', () => {
  test('the file table lists every rule file with its group, and nothing else', () => {
    const listed = [...DOC.matchAll(/^\| `prometheus\/rules\/([\w-]+\.yml)` \| group `([\w-]+)`/gm)].map(
      (m) => `${m[1]} ${m[2]}`,
    );
    expect(listed.sort()).toEqual(groups.map((g) => `${g.file} ${g.name}`).sort());
  });

  test("each alert's section states its for: durations and keep_firing_for, and names its rule file", () => {
    for (const [name, a] of alerts) {
      const text = sections.get(name);
      expect(text, name).toBeDefined();
      for (const d of a.for) {
        expect(
          durationPhrases(d).some((p) => text!.includes(p)),
          `${name}: for ${d}`,
        ).toBe(true);
      }
      for (const k of a.keep) expect(text, name).toContain(`keep_firing_for: ${k}`);
      if (a.keep.size === 0) expect(text, name).not.toContain('keep_firing_for: ');
      const tuneFiles = [...text!.matchAll(/`for:` in `(\w+\.yml)`/g)].map((m) => m[1]);
      for (const f of tuneFiles) expect(f, name).toBe(a.file);
    }
  });

  test('a severity a section states is one of its rules; an alert of one severity states it', () => {
    for (const [name, text] of ownText) {
      const stated = [...text.matchAll(/[Ss]everity `(\w+)`/g)].map((m) => m[1]!);
      const severities = [...alerts.get(name)!.severities];
      for (const s of stated) expect(severities, name).toContain(s);
      if (severities.length === 1) expect(stated, name).toEqual(severities);
    }
  });

  test('the default levels quoted are those of config/thresholds.yaml', () => {
    const t = parse(readFileSync(join(ROOT, 'config/thresholds.yaml'), 'utf8')) as {
      defaults: Record<string, { warning: number; error: number }>;
      groups: Record<string, Record<string, { warning: number; error: number }>>;
    };
    const quoted = [...DOC.matchAll(/`(\w+)` levels[^(\n]*\(default (\d+) \/ (\d+)/g)];
    expect(quoted.length).toBeGreaterThanOrEqual(8);
    for (const [, metric, warning, error] of quoted) {
      expect(t.defaults[metric!], metric).toEqual({ warning: Number(warning), error: Number(error) });
    }
    expect(t.defaults['probe_rtt']).toEqual({ warning: 0.5, error: 1.5 });
    expect(DOC).toContain('(0.5 s warning, 1.5 s error by default)');
    expect(t.defaults['clock_sync_age']).toEqual({ warning: 2 * 3600, error: 86_400 });
    expect(DOC).toContain('`clock_sync_age` warning (2 h) or\nerror (1 day) level');
    expect(t.groups['cameras']?.['disk']).toEqual({ warning: 90, error: 95 });
    expect(DOC).toContain('Camera hosts have their own group levels (90 / 95)');
  });
});

describe('docs/alerting.md against prometheus/alertmanager.yml', () => {
  const am = parse(readFileSync(join(ROOT, 'prometheus/alertmanager.yml'), 'utf8')) as {
    route: { group_by: string[]; routes: { matchers: string[]; repeat_interval?: string }[] };
    inhibit_rules: { source_matchers: string[]; target_matchers: string[]; equal: string[] }[];
  };

  test('grouped by alertname and group; the page route repeats hourly', () => {
    expect(DOC).toContain('Alerts are grouped by `alertname` and `group`');
    expect(am.route.group_by).toEqual(['alertname', 'group']);
    expect(DOC).toContain('receiver `page` (on-call e-mail and chat), repeated hourly');
    expect(am.route.routes.find((r) => r.matchers.includes('severity="critical"'))?.repeat_interval).toBe('1h');
  });

  test('the inhibition rules the doc lists are the ones in the file', () => {
    expect(DOC).toContain('Three inhibition rules keep the noise down:');
    expect(am.inhibit_rules).toHaveLength(3);
    const equal = am.inhibit_rules.map((r) => r.equal.join(', '));
    expect(equal).toContain('job');
    expect(equal).toContain('node');
    const bySeverity = am.inhibit_rules.find((r) => r.source_matchers.includes('severity="error"'))!;
    const listed = /same\s+`alertname`, `instance`, `node`, `mount`, `interface`, `device`, `sensor`, `reason`/;
    expect(DOC).toMatch(listed);
    expect(bySeverity.equal).toEqual([
      'alertname',
      'instance',
      'node',
      'mount',
      'interface',
      'device',
      'sensor',
      'reason',
    ]);
  });
});
