import { isUp, type NodeState } from './node-table.ts';
import type { MaintenanceState } from './maintenance-state.ts';
import type { MetricView, NodeView } from './node-view-json.ts';
import type { Thresholds } from '../../config/thresholds.ts';
import { worst, type Status } from '../../protocol/status.ts';

// The shapes live in a module of their own, without runtime imports, so the status page reads them too.
export type { MetricView, NodeView } from './node-view-json.ts';

/** The node's open maintenance window at `nowMs` (bridge/state/maintenance-schedule.ts). */
export type MaintenanceLookup = (node: string, group: string, nowMs: number) => MaintenanceState | null;

export function viewNode(
  node: NodeState,
  thresholds: Thresholds,
  nowMs: number,
  downAfterMs: number,
  maintenance?: MaintenanceLookup,
): NodeView {
  const up = isUp(node, nowMs, downAfterMs);
  let status: Status = up ? 'ok' : 'stale';
  const metrics: MetricView[] = [];
  for (const s of node.series.values()) {
    const fresh = up && nowMs - s.receivedAt <= downAfterMs;
    const levels = thresholds.levels(node.name, node.group, s.key);
    // The status judged at ingest, carried: nothing is judged again for a view.
    const metricStatus: Status = fresh ? s.status : 'stale';
    if (up) status = worst(status, metricStatus);
    metrics.push({
      key: s.key,
      qualifier: s.qualifier ?? null,
      value: s.value,
      timestamp: s.timestamp,
      status: metricStatus,
      warning: levels?.warning ?? null,
      error: levels?.error ?? null,
    });
  }
  metrics.sort((a, b) => a.key.localeCompare(b.key) || (a.qualifier ?? '').localeCompare(b.qualifier ?? ''));
  return {
    node: node.name,
    group: node.group,
    critical: node.critical,
    inventory: node.inInventory,
    up,
    status,
    lastReportTimestamp: node.lastTimestamp ?? null,
    lastSeenSecondsAgo: node.lastReceivedAt === undefined ? null : Math.round((nowMs - node.lastReceivedAt) / 1000),
    clockSkewSeconds: node.clockSkewSeconds,
    metrics,
    maintenance: maintenance?.(node.name, node.group, nowMs) ?? null,
    agent: node.agent ?? null,
  };
}
