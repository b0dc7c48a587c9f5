import { isUp, type NodeState } from './node-table.ts';
import type { MaintenanceState } from './maintenance-windows.ts';
import type { Thresholds } from '../../config/thresholds.ts';
import { worst, type Status } from '../../protocol/status.ts';

/** One metric of a node as the API shows it. */
export interface MetricView {
  readonly key: string;
  readonly qualifier: string | null;
  readonly value: number;
  /** Agent reading time, unix seconds. */
  readonly timestamp: number;
  readonly status: Status;
  readonly warning: number | null;
  readonly error: number | null;
}

/** A node as `GET /api/v1/nodes` shows it; the JSON contract of docs/api.md. */
export interface NodeView {
  readonly node: string;
  readonly group: string;
  readonly critical: boolean;
  readonly inventory: boolean;
  readonly up: boolean;
  /** Worst status of its metrics; `stale` when the node is down. */
  readonly status: Status;
  readonly lastReportTimestamp: number | null;
  /** Seconds since the bridge last heard from the node (bridge clock). */
  readonly lastSeenSecondsAgo: number | null;
  readonly clockSkewSeconds: number;
  readonly metrics: readonly MetricView[];
  /**
   * The maintenance window the node is in (its alerts are suppressed), or null. Always set by this
   * bridge; optional in the type for views of peer bridges older than the field.
   */
  readonly maintenance?: MaintenanceState | null;
  /**
   * `<name>/<version>` the node's last report came with (its agent's `AGENT` line), or null when it sent
   * none. Always set by this bridge; optional in the type for views of peer bridges older than the field.
   */
  readonly agent?: string | null;
}

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
