import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { grafanaTemplate } from '../../../grafana/src/alerts/summary.ts';

/*
 * prometheus/rules/*.yml is the one definition of every alert; grafana/provisioning/alerting/ is
 * generated from it. This reads both files as Prometheus and Grafana would and checks that every
 * Prometheus alert has exactly one Grafana counterpart with the same PromQL, `for`, severity and
 * annotations (templates through the documented rewrite), and that Grafana can load them.
 */
const REPO = new URL('../../../', import.meta.url).pathname;
const RULE_FILES = readdirSync(join(REPO, 'prometheus/rules'))
  .filter((f) => f.endsWith('.yml'))
  .sort();

interface PromRule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  keep_firing_for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface GrafanaRule {
  uid: string;
  title: string;
  condition: string;
  for: string;
  keepFiringFor?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  noDataState: string;
  execErrState: string;
  isPaused: boolean;
  data: Array<{
    refId: string;
    datasourceUid: string;
    relativeTimeRange?: { from: number; to: number };
    model: Record<string, unknown>;
  }>;
}

const promGroups = RULE_FILES.flatMap(
  (f) =>
    (
      parse(readFileSync(join(REPO, 'prometheus/rules', f), 'utf8')) as {
        groups: Array<{ name: string; rules: PromRule[] }>;
      }
    ).groups,
);
const promAlerts = promGroups.flatMap((g) =>
  g.rules.filter((r) => r.alert !== undefined).map((r) => ({ group: g.name, rule: r })),
);
const provisioning = parse(readFileSync(join(REPO, 'grafana/provisioning/alerting/obsmon-rules.yml'), 'utf8')) as {
  apiVersion: number;
  groups: Array<{ orgId: number; name: string; folder: string; interval: string; rules: GrafanaRule[] }>;
};
const grafanaRules = provisioning.groups.flatMap((g) => g.rules.map((r) => ({ group: g.name, rule: r })));
const queryOf = (r: GrafanaRule) => r.data.find((d) => d.refId === 'query')!.model;

describe('Grafana alert rules generated from prometheus/rules', () => {
  test('the rule files read here are the ones Prometheus loads', () => {
    const config = parse(readFileSync(join(REPO, 'prometheus/prometheus.yml'), 'utf8')) as { rule_files: string[] };
    expect(config.rule_files).toEqual(['rules/*.yml']);
    expect(promAlerts.length).toBeGreaterThan(10);
  });

  test.each(promAlerts.map((a) => [`${a.rule.alert} (${a.rule.labels?.['severity']})`, a] as const))(
    '%s has exactly one Grafana counterpart with the same expr, for, keep_firing_for, severity, summary and runbook',
    (_name, { group, rule }) => {
      const matches = grafanaRules.filter(
        (g) =>
          g.group === group && g.rule.title === rule.alert && g.rule.labels['severity'] === rule.labels?.['severity'],
      );
      expect(matches).toHaveLength(1);
      const grafana = matches[0]!.rule;
      expect(queryOf(grafana)['expr']).toBe(rule.expr);
      expect(grafana.for).toBe(rule.for ?? '0s');
      expect(grafana.keepFiringFor).toBe(rule.keep_firing_for);
      expect(grafana.labels).toEqual(rule.labels ?? {});
      expect(grafana.annotations['summary']).toBe(grafanaTemplate(rule.annotations?.['summary'] ?? ''));
      expect(grafana.annotations['runbook']).toBe(rule.annotations?.['runbook']);
    },
  );

  test('Grafana has no rule without a Prometheus alert, and recording rules stay in Prometheus', () => {
    expect(grafanaRules).toHaveLength(promAlerts.length);
    expect(provisioning.groups.map((g) => g.name)).toEqual([...new Set(promAlerts.map((a) => a.group))].sort());
  });

  test('summaries differ from Prometheus only where they call query, which Grafana cannot run', () => {
    for (const { rule } of promAlerts) {
      const summary = rule.annotations?.['summary'] ?? '';
      const rewritten = grafanaTemplate(summary);
      expect(rewritten.includes('query'), rule.alert).toBe(false);
      if (!/\|\s*query\b/.test(summary)) expect(rewritten).toBe(summary);
    }
    expect(
      grafanaTemplate(
        'CPU of {{ $labels.node }} is {{ $value }} % (warning level: {{ with printf "x" | query }}{{ . | first | value }}{{ end }} %)',
      ),
    ).toBe('CPU of {{ $labels.node }} is {{ $value }} % (at or above its warning level)');
    expect(
      grafanaTemplate(
        'Node {{ $labels.node }} is down; last report: {{ with query "x" }}{{ . }} ago{{ else }}none{{ end }}',
      ),
    ).toBe('Node {{ $labels.node }} is down');
  });

  test('every rule is loadable by Grafana: uid, condition, the Prometheus query and the "any series fires" expressions', () => {
    expect(provisioning.apiVersion).toBe(1);
    const uids = grafanaRules.map((g) => g.rule.uid);
    expect(new Set(uids).size).toBe(uids.length);
    for (const group of provisioning.groups) {
      expect(group).toEqual(expect.objectContaining({ orgId: 1, folder: 'obsmon' }));
      // Grafana's scheduler ticks every 10 s; a group interval must be a multiple of it.
      expect(Number(/^(\d+)s$/.exec(group.interval)?.[1]) % 10).toBe(0);
    }
    for (const { rule } of grafanaRules) {
      expect(rule.uid).toMatch(/^[A-Za-z0-9_-]{1,40}$/);
      expect(rule.data.map((d) => d.refId)).toEqual(['query', 'prometheus_math', 'threshold']);
      expect(rule.condition).toBe('threshold');
      const [query, math, threshold] = rule.data;
      expect(query!.datasourceUid).toBe('obsmon-prometheus');
      expect(query!.model).toEqual(
        expect.objectContaining({
          instant: true,
          range: false,
          refId: 'query',
          datasource: { type: 'prometheus', uid: 'obsmon-prometheus' },
        }),
      );
      expect(math!.model).toEqual(
        expect.objectContaining({ type: 'math', expression: 'is_number($query) || is_nan($query) || is_inf($query)' }),
      );
      expect(threshold!.model).toEqual(
        expect.objectContaining({
          type: 'threshold',
          expression: 'prometheus_math',
          conditions: [{ evaluator: { type: 'gt', params: [0] } }],
        }),
      );
      expect([rule.noDataState, rule.execErrState]).toEqual(['OK', 'Error']);
      expect(rule.isPaused).toBe(true);
      // Grafana expands ${VAR} in annotations and $VAR in titles and labels from its environment.
      for (const text of Object.values(rule.annotations)) expect(text).not.toMatch(/\$\{/);
      for (const text of [rule.title, ...Object.values(rule.labels)]) expect(text).not.toMatch(/\$/);
    }
  });
});
