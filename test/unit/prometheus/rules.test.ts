import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { promtoolPath } from '../../helpers/promtool.ts';

const DIR = new URL('../../../prometheus/', import.meta.url).pathname;
const DOCS = new URL('../../../docs/alerting.md', import.meta.url).pathname;
const THRESHOLDS = new URL('../../../config/thresholds.yaml', import.meta.url).pathname;

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleFile {
  groups: Array<{ name: string; rules: Rule[] }>;
}
interface AlertTest {
  alertname: string;
  exp_alerts?: Array<{ exp_labels?: Record<string, string> }>;
}
interface TestFile {
  rule_files: string[];
  tests: Array<{ alert_rule_test?: AlertTest[]; promql_expr_test?: Array<{ expr: string }> }>;
}

const ruleFiles = readdirSync(join(DIR, 'rules'))
  .filter((f) => f.endsWith('.yml'))
  .sort();
const testFiles = readdirSync(join(DIR, 'tests'))
  .filter((f) => f.endsWith('-test.yml'))
  .sort();
const groups = ruleFiles.flatMap((file) =>
  (parse(readFileSync(join(DIR, 'rules', file), 'utf8')) as RuleFile).groups.map((g) => ({ file, ...g })),
);
const alertRules = groups.flatMap((g) =>
  g.rules.filter((r) => r.alert !== undefined).map((r) => ({ group: g.name, ...r, alert: r.alert! })),
);
const alertNames = [...new Set(alertRules.map((r) => r.alert))];

function promtool(args: string[]) {
  const result = spawnSync(promtoolPath(), args, { cwd: DIR, encoding: 'utf8', timeout: 30_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function testFileOf(group: string): TestFile {
  return parse(readFileSync(join(DIR, 'tests', `${group}-test.yml`), 'utf8')) as TestFile;
}

describe('prometheus/ with the real promtool', () => {
  test('promtool check config accepts prometheus.yml and the rule files it loads', () => {
    const { status, output } = promtool(['check', 'config', 'prometheus.yml']);
    expect(output).toContain(`${ruleFiles.length} rule files found`);
    expect(status, output).toBe(0);
  });

  test('promtool check rules accepts every rule file', () => {
    const { status, output } = promtool(['check', 'rules', ...ruleFiles.map((f) => join('rules', f))]);
    expect(status, output).toBe(0);
  });

  test.each(testFiles)('promtool test rules passes %s', (file) => {
    const { status, output } = promtool(['test', 'rules', join('tests', file)]);
    expect(status, output).toBe(0);
  });
});

describe('rule conventions', () => {
  test("each rule group has one test file, named after the group, that loads the group's rule file", () => {
    expect(testFiles).toEqual(groups.map((g) => `${g.name}-test.yml`).sort());
    for (const g of groups) expect(testFileOf(g.name).rule_files).toEqual([`../rules/${g.file}`]);
  });

  test.each(alertRules.map((r) => [`${r.alert} (${r.labels?.['severity']})`, r] as const))(
    '%s has a severity, a `for`, a summary naming the node or bridge, and a runbook line',
    (_name, rule) => {
      expect(['critical', 'error', 'warning']).toContain(rule.labels?.['severity']);
      expect(rule.for, 'alerts need a `for` so a single bad scrape never notifies').toMatch(/^\d+[smh]$/);
      expect(rule.annotations?.['summary']).toMatch(/\{\{ \$labels\.(node|instance) \}\}/);
      // A down alert's value is 0; its summary gives the age of the last report instead.
      if (!rule.alert.endsWith('Down')) expect(rule.annotations?.['summary']).toContain('$value');
      expect(rule.annotations?.['runbook']).toContain(`docs/alerting.md#${rule.alert.toLowerCase()}`);
      expect(Object.keys(rule.annotations ?? {}).sort()).toEqual(['runbook', 'summary']);
    },
  );

  test.each(alertNames)('%s is unit-tested: firing at each of its severities, and silent', (name) => {
    const group = alertRules.find((r) => r.alert === name)!.group;
    const cases = testFileOf(group)
      .tests.flatMap((t) => t.alert_rule_test ?? [])
      .filter((c) => c.alertname === name);
    expect(
      cases.some((c) => (c.exp_alerts ?? []).length === 0),
      'a case where it stays silent',
    ).toBe(true);
    const firedSeverities = new Set(cases.flatMap((c) => (c.exp_alerts ?? []).map((a) => a.exp_labels?.['severity'])));
    for (const rule of alertRules.filter((r) => r.alert === name))
      expect(firedSeverities).toContain(rule.labels?.['severity']);
  });

  test('every node alert is suppressed while the node is in a maintenance window (one clause, the same everywhere)', () => {
    const nodeAlerts = alertRules.filter((r) => /^Obsmon(Critical)?Node/.test(r.alert));
    expect(nodeAlerts.length).toBeGreaterThan(20);
    for (const r of nodeAlerts)
      expect(r.expr.trimEnd(), r.alert).toMatch(
        /\n\s+unless on \(job, node\) max without \(instance\) \(obsmon_node_maintenance\) == 1$/,
      );
    for (const r of alertRules.filter((rule) => rule.alert.startsWith('ObsmonBridge')))
      expect(r.expr, r.alert).not.toContain('obsmon_node_maintenance');
  });

  test('every metric with levels in config/thresholds.yaml has an alert at its warning and its error level', () => {
    const file = parse(readFileSync(THRESHOLDS, 'utf8')) as Record<
      string,
      Record<string, Record<string, unknown>> | undefined
    >;
    const keys = new Set([
      ...Object.keys(file['defaults'] ?? {}),
      ...Object.values(file['groups'] ?? {}).flatMap((levels) => Object.keys(levels)),
      ...Object.values(file['nodes'] ?? {}).flatMap((levels) => Object.keys(levels)),
    ]);
    expect(keys.size).toBeGreaterThan(0);
    for (const key of keys) {
      for (const severity of ['warning', 'error']) {
        const rule = alertRules.find((r) =>
          r.expr.includes(`obsmon_threshold{metric="${key}", severity="${severity}"}`),
        );
        expect(rule, `an alert reading the ${severity} level of "${key}"`).toBeDefined();
        expect(rule!.labels?.['severity']).toBe(severity);
      }
    }
  });

  test('every recording rule follows level:metric:operations and is checked by a promql_expr_test', () => {
    for (const g of groups) {
      const tested = new Set(testFileOf(g.name).tests.flatMap((t) => (t.promql_expr_test ?? []).map((e) => e.expr)));
      for (const r of g.rules.filter((rule) => rule.record !== undefined)) {
        expect(r.record).toMatch(/^[a-z_]+:[a-z_]+:[a-z0-9_]+$/);
        expect(tested, r.record).toContain(r.record);
      }
    }
  });

  test('docs/alerting.md has a section for every alert, and no section for an alert that does not exist', () => {
    const headings = [...readFileSync(DOCS, 'utf8').matchAll(/^### (Obsmon\w+)$/gm)].map((m) => m[1]);
    expect(headings.sort()).toEqual([...alertNames].sort());
  });
});
