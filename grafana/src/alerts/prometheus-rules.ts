import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** The rule files Prometheus loads (prometheus/prometheus.yml: rules/*.yml): the one definition of every alert. */
export const PROMETHEUS_RULES_DIR = fileURLToPath(new URL('../../../prometheus/rules/', import.meta.url));

export interface PrometheusAlertRule {
  readonly alert: string;
  readonly expr: string;
  /** Prometheus duration; absent = fires at the first evaluation. */
  readonly for?: string;
  /** Prometheus `keep_firing_for`: how long it stays firing after the condition stopped being met. */
  readonly keepFiringFor?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
}

export interface PrometheusRuleGroup {
  readonly file: string;
  readonly name: string;
  readonly alerts: readonly PrometheusAlertRule[];
}

interface RuleFile {
  groups?: Array<{
    name: string;
    rules?: Array<Partial<PrometheusAlertRule> & { record?: string; keep_firing_for?: string }>;
  }>;
}

/** Alerting rules of every rule file, by group, in file and rule order; recording rules are left out. */
export function readPrometheusAlerts(dir: string = PROMETHEUS_RULES_DIR): PrometheusRuleGroup[] {
  const groups: PrometheusRuleGroup[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.yml'))
    .sort()) {
    const parsed = parse(readFileSync(join(dir, file), 'utf8')) as RuleFile | null;
    for (const group of parsed?.groups ?? []) {
      const alerts: PrometheusAlertRule[] = [];
      for (const rule of group.rules ?? []) {
        if (rule.alert === undefined) continue;
        if (typeof rule.expr !== 'string') throw new Error(`${file}: alert ${rule.alert} has no expr`);
        alerts.push({
          alert: rule.alert,
          expr: rule.expr,
          ...(rule.for === undefined ? {} : { for: rule.for }),
          ...(rule.keep_firing_for === undefined ? {} : { keepFiringFor: rule.keep_firing_for }),
          labels: rule.labels ?? {},
          annotations: rule.annotations ?? {},
        });
      }
      if (alerts.length > 0) groups.push({ file, name: group.name, alerts });
    }
  }
  return groups;
}
