import { nodeMetric, partMetric } from '../../protocol/metric-names.ts';
import type { LevelKey } from './levels.ts';

/**
 * PromQL for the dashboards, defined once (node-mixin's config.libsonnet idea). Series and labels are
 * those of docs/api.md; joins follow the alert rules: a value and its level are matched on the bridge
 * that exposes both (job, instance, node), then reduced per node, so a node heard by several bridges
 * counts once.
 */

/** The Prometheus name of a standard key's node-wide values (`cpu`: all cores), from protocol/metric-names.ts. */
export function nodeSeries(key: string): string {
  const m = nodeMetric(key);
  if (m === undefined) throw new Error(`"${key}" is not a standard key`);
  return m.name;
}

/** The Prometheus name of a standard key's per-part values (`cpu@3`: one core), from protocol/metric-names.ts. */
export function partSeries(key: string): string {
  const m = partMetric(key);
  if (m === undefined) throw new Error(`"${key}" is not a standard key`);
  return m.name;
}

/** Recording rules of prometheus/rules/aggregates.yml: one series per node with `node` and `group`. */
export const NODE_RECORD: Readonly<Partial<Record<LevelKey, string>>> = {
  cpu: 'node:obsmon_node_cpu_usage_percent:max',
  mem: 'node:obsmon_node_memory_usage_percent:max',
  disk: 'node:obsmon_node_disk_usage_percent:max',
};
export const NODE_UP_RECORD = 'node:obsmon_node_up:max';

/** `name{a="b",c="d"}` from a metric and matchers, merging the series' own matcher. */
export function selector(metric: string, ...matchers: string[]): string {
  return matchers.length === 0 ? metric : `${metric}{${matchers.join(', ')}}`;
}

/** The node-wide series of a key (all cores, all interfaces, the hottest sensor; every mount for disk), with extra matchers. */
export function valueSeries(key: LevelKey, ...matchers: string[]): string {
  return selector(nodeSeries(key), ...matchers);
}

/** The level series of a key: `obsmon_threshold{metric=…, severity=…}`. */
export function levelSeries(key: LevelKey, severity: 'warning' | 'error', ...matchers: string[]): string {
  return selector('obsmon_threshold', ...matchers, `metric="${key}"`, `severity="${severity}"`);
}

const SAME_BRIDGE = 'on (job, instance, node) group_left ()';

/** value / error level, per series: 1 = at the node's error level. */
export function shareOfErrorLevel(key: LevelKey, by: string): string {
  return `max by (${by}) (${valueSeries(key)} / ${SAME_BRIDGE} ${levelSeries(key, 'error')})`;
}

/** 0 ok, 1 at or above the node's warning level, 2 at or above its error level (as the status page). */
export function statusNumber(key: LevelKey, by: string, ...matchers: string[]): string {
  const value = valueSeries(key, ...matchers);
  return (
    `max by (${by}) ((${value} >= bool ${SAME_BRIDGE} ${levelSeries(key, 'warning')})` +
    ` + (${value} >= bool ${SAME_BRIDGE} ${levelSeries(key, 'error')}))`
  );
}

/** The levels of one severity for every node of `group` (inventory nodes included), one series per node. */
export function groupLevels(key: LevelKey, severity: 'warning' | 'error', group: string): string {
  return `max by (node) (${levelSeries(key, severity)} and on (node) ${selector(NODE_UP_RECORD, `group="${group}"`)})`;
}

/** `label_replace(expr, "metric", key, "", "")` for each key, joined with `or`: one table for several metrics. */
export function perMetric(keys: readonly LevelKey[], expr: (key: LevelKey) => string): string {
  return keys.map((key) => `label_replace(${expr(key)}, "metric", "${key}", "", "")`).join(' or ');
}
