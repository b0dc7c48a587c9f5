import { Gauge, type Registry } from 'prom-client';
import { isUp, type NodeTable } from '../state/node-table.ts';
import type { Thresholds } from '../state/thresholds.ts';
import { CUSTOM_METRIC, defaultQualifier, STANDARD_METRICS } from './metric-names.ts';

export interface NodeMetricsOptions {
  readonly downAfterMs: number;
  readonly now?: () => number;
}

/**
 * Per-node series, rebuilt from the live table at every scrape. Values of a down node (and series
 * a node stopped sending) leave the exposition, so Prometheus marks them stale and value alerts
 * resolve; `obsmon_node_up` says why. No agent timestamp is exposed: Prometheus 2.42 would drop
 * samples it considers out of order and cannot track staleness of timestamped series.
 * Call `refresh()` right before serialising the registry: one consistent snapshot per scrape.
 */
export function registerNodeMetrics(
  registry: Registry,
  table: NodeTable,
  thresholds: Thresholds,
  options: NodeMetricsOptions,
): { refresh(): void } {
  const now = options.now ?? Date.now;
  const gauge = (name: string, help: string, labelNames: string[]) => new Gauge({ name, help, labelNames, registers: [] });

  const up = gauge('obsmon_node_up', '1 if the node reported within --down-after, else 0', ['node']);
  const last = gauge('obsmon_node_last_report_timestamp_seconds', 'Agent timestamp of the newest report, unix seconds', ['node']);
  const skew = gauge('obsmon_node_clock_skew_seconds', 'Agent clock minus bridge clock at the newest report, seconds', ['node']);
  const info = gauge('obsmon_node_info', 'Inventory facts of a node (always 1)', ['node', 'group', 'critical', 'inventory']);
  const threshold = gauge('obsmon_threshold', 'Warning/error level per node and metric (protocol key), from the thresholds file', ['node', 'metric', 'severity']);
  const values = new Map([...STANDARD_METRICS].map(([key, m]) => [key, gauge(m.name, m.help, ['node', m.qualifierLabel])]));
  const custom = gauge(CUSTOM_METRIC.name, CUSTOM_METRIC.help, ['node', 'key', 'device']);
  const nodeCount = gauge('obsmon_bridge_nodes', 'Nodes in the live table (inventory and reporting)', []);
  const seriesCount = gauge('obsmon_bridge_series', 'Node series (key@qualifier) in the live table', []);
  const all = [up, last, skew, info, threshold, ...values.values(), custom, nodeCount, seriesCount];
  const thresholdMetrics = thresholds.metrics();

  const refresh = () => {
    for (const g of all) g.reset();
    const nowMs = now();
    let series = 0;
    for (const node of table.nodes()) {
      series += node.series.size;
      const nodeUp = isUp(node, nowMs, options.downAfterMs);
      up.labels(node.name).set(nodeUp ? 1 : 0);
      info.labels(node.name, node.group, String(node.critical), String(node.inInventory)).set(1);
      for (const metric of thresholdMetrics) {
        const levels = thresholds.levels(node.name, node.group, metric);
        if (levels === undefined) continue;
        threshold.labels(node.name, metric, 'warning').set(levels.warning);
        threshold.labels(node.name, metric, 'error').set(levels.error);
      }
      if (node.lastTimestamp === undefined) continue;
      last.labels(node.name).set(node.lastTimestamp);
      skew.labels(node.name).set(node.clockSkewSeconds);
      if (!nodeUp) continue;
      for (const s of node.series.values()) {
        if (nowMs - s.receivedAt > options.downAfterMs) continue;
        // An unqualified sample has no qualifier label at all (not an empty one), except that the
        // root filesystem is labelled mount="/".
        const qualifier = s.qualifier ?? defaultQualifier(s.key);
        const standard = values.get(s.key);
        if (standard !== undefined) {
          const label = STANDARD_METRICS.get(s.key)!.qualifierLabel;
          standard.set(qualifier === '' ? { node: node.name } : { node: node.name, [label]: qualifier }, s.value);
        } else {
          custom.set(qualifier === '' ? { node: node.name, key: s.key } : { node: node.name, key: s.key, device: qualifier }, s.value);
        }
      }
    }
    nodeCount.set(table.size);
    seriesCount.set(series);
  };

  for (const g of all) registry.registerMetric(g);
  return { refresh };
}
