import { createHash } from 'node:crypto';
import { TypeMathBuilder, TypeThresholdBuilder } from '@grafana/grafana-foundation-sdk/expr';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PROMETHEUS } from '../datasources.ts';
import { readPrometheusAlerts, type PrometheusAlertRule, type PrometheusRuleGroup } from './prometheus-rules.ts';
import { grafanaTemplate } from './summary.ts';

/** Folder of the provisioned rules; the dashboards' provider uses the same title. */
export const ALERT_FOLDER = 'obsmon';

/**
 * Evaluation interval of every group. Prometheus evaluates every 15 s (prometheus.yml), but Grafana's
 * scheduler ticks every 10 s and takes only multiples of it; 20 s is the nearest that does not
 * evaluate more often than Prometheus.
 */
export const GRAFANA_INTERVAL = '20s';

/** Server-side expressions are addressed by this datasource UID. */
const EXPR = { type: '__expr__', uid: '__expr__' } as const;

/** Ref ids as Grafana's own Prometheus-rule import names them (pkg/services/ngalert/prom). */
export const REF = { query: 'query', math: 'prometheus_math', threshold: 'threshold' } as const;

/** One rule of Grafana's file provisioning format (provisioning/alerting/*.yml). */
export interface GrafanaAlertRule {
  uid: string;
  title: string;
  condition: string;
  data: Array<{
    refId: string;
    relativeTimeRange?: { from: number; to: number };
    datasourceUid: string;
    model: unknown;
  }>;
  noDataState: 'OK';
  execErrState: 'Error';
  for: string;
  /** Prometheus `keep_firing_for` (the provisioning file spells it keepFiringFor); absent = 0. */
  keepFiringFor?: string;
  annotations: Record<string, string>;
  labels: Record<string, string>;
  isPaused: boolean;
  /** 1 = resolve at the first evaluation without the series, as Prometheus does (Grafana's importer sets the same). */
  missing_series_evals_to_resolve: number;
}

export interface GrafanaRuleGroup {
  orgId: number;
  name: string;
  folder: string;
  interval: string;
  rules: GrafanaAlertRule[];
}

/** The JSON of an SDK object (its builders leave a marker method on queries). */
const plain = (value: object): unknown => JSON.parse(JSON.stringify(value));

/** A stable UID (Grafana: at most 40 of [A-Za-z0-9_-]) from group, alert name and severity. */
export function ruleUid(group: string, rule: PrometheusAlertRule): string {
  const digest = createHash('sha1')
    .update(`${group}/${rule.alert}/${rule.labels['severity'] ?? ''}`)
    .digest('hex');
  return `obsmon-${digest.slice(0, 20)}`;
}

/**
 * A Prometheus alert as Grafana-managed alert, the way Grafana's own importer converts one: the PromQL
 * as an instant query, then "any series returned fires" (math `is_number || is_nan || is_inf`,
 * threshold > 0). No series = normal (noDataState OK), as in Prometheus; a failing query is reported
 * as an error alert (Prometheus only marks the rule unhealthy). Labels, `for` and `keep_firing_for` are copied; templates
 * go through grafanaTemplate.
 */
export function toGrafanaRule(group: string, rule: PrometheusAlertRule, paused: boolean): GrafanaAlertRule {
  const query = new DataqueryBuilder().datasource(PROMETHEUS.ref).expr(rule.expr).instant().refId(REF.query).build();
  const math = new TypeMathBuilder()
    .datasource(EXPR)
    .refId(REF.math)
    .expression(`is_number($${REF.query}) || is_nan($${REF.query}) || is_inf($${REF.query})`)
    .build();
  const threshold = new TypeThresholdBuilder()
    .datasource(EXPR)
    .refId(REF.threshold)
    .expression(REF.math)
    .conditions([{ evaluator: { type: 'gt', params: [0] } }])
    .build();
  const annotations = Object.fromEntries(
    Object.entries(rule.annotations).map(([key, template]) => [key, grafanaTemplate(template)]),
  );
  return {
    uid: ruleUid(group, rule),
    title: rule.alert,
    condition: REF.threshold,
    data: [
      {
        refId: REF.query,
        relativeTimeRange: { from: 600, to: 0 },
        datasourceUid: PROMETHEUS.ref.uid,
        model: plain(query),
      },
      { refId: REF.math, datasourceUid: EXPR.uid, model: plain(math) },
      { refId: REF.threshold, datasourceUid: EXPR.uid, model: plain(threshold) },
    ],
    noDataState: 'OK',
    execErrState: 'Error',
    for: rule.for ?? '0s',
    ...(rule.keepFiringFor === undefined ? {} : { keepFiringFor: rule.keepFiringFor }),
    annotations,
    labels: { ...rule.labels },
    isPaused: paused,
    missing_series_evals_to_resolve: 1,
  };
}

/**
 * Grafana's alert provisioning, generated from prometheus/rules/*.yml: one group per Prometheus group,
 * one rule per Prometheus alert. Paused by default: in the docker-compose stack Prometheus evaluates
 * and Alertmanager notifies, and two evaluators would notify twice (docs/grafana.md).
 */
export function grafanaRuleGroups(
  groups: readonly PrometheusRuleGroup[] = readPrometheusAlerts(),
  paused = true,
): GrafanaRuleGroup[] {
  return groups.map((group) => ({
    orgId: 1,
    name: group.name,
    folder: ALERT_FOLDER,
    interval: GRAFANA_INTERVAL,
    rules: group.alerts.map((rule) => toGrafanaRule(group.name, rule, paused)),
  }));
}
