import type { AcceptedReport, NodeTable } from './node-table.ts';
import { seriesId } from '../../protocol/series-id.ts';
import { isUp } from './node-table.ts';
import type { Status } from '../../protocol/status.ts';

/** A metric crossing a level, or a node going stale / coming back. */
export type StatusChange =
  | {
      readonly kind: 'metric';
      readonly node: string;
      readonly metric: string;
      readonly from: Status;
      readonly to: Status;
      readonly value: number;
      readonly timestamp: number;
    }
  | {
      readonly kind: 'node';
      readonly node: string;
      readonly from: 'up' | 'down';
      readonly to: 'up' | 'down';
      readonly timestamp: number;
    };

/**
 * Remembers the last status of every series and node and reports transitions only, so consumers
 * (stream, RTS2 messages) hear about a crossing once, not on every report. It judges nothing: the
 * status of each value was judged once at ingest (NodeTable.accept) and is only compared here.
 */
export class StatusTracker {
  /** node -> series id -> last status; bounded by the table's limits, pruned with it. */
  private readonly metricStatus = new Map<string, Map<string, Status>>();
  private readonly nodeUp = new Map<string, boolean>();

  constructor(
    private readonly table: NodeTable,
    private readonly downAfterMs: number,
  ) {}

  /**
   * Transitions caused by one accepted report (only samples that became the live value count).
   * `flagged`, when given, receives the series id and status of each such value that is not ok.
   */
  onReport(report: AcceptedReport, flagged?: Map<string, Status>): StatusChange[] {
    const node = this.table.get(report.node);
    if (node === undefined) return [];
    const changes: StatusChange[] = [];
    let statuses = this.metricStatus.get(node.name);
    if (statuses === undefined) {
      statuses = new Map();
      this.metricStatus.set(node.name, statuses);
    }
    if (this.nodeUp.get(node.name) !== true) {
      if (this.nodeUp.has(node.name))
        changes.push({ kind: 'node', node: node.name, from: 'down', to: 'up', timestamp: report.receivedAt / 1000 });
      this.nodeUp.set(node.name, true);
    }
    for (const sample of report.samples) {
      const id = seriesId(sample.key, sample.qualifier);
      const series = node.series.get(id);
      if (series === undefined || series.timestamp !== report.timestamp) continue;
      const to = series.status;
      if (to !== 'ok') flagged?.set(id, to);
      const from = statuses.get(id) ?? 'ok';
      statuses.set(id, to);
      if (from !== to)
        changes.push({
          kind: 'metric',
          node: node.name,
          metric: id,
          from,
          to,
          value: sample.value,
          timestamp: report.timestamp,
        });
    }
    return changes;
  }

  /** Nodes that went down since the last sweep; call periodically. */
  sweep(nowMs: number): StatusChange[] {
    const changes: StatusChange[] = [];
    for (const node of this.table.nodes()) {
      const up = isUp(node, nowMs, this.downAfterMs);
      const was = this.nodeUp.get(node.name);
      if (was === true && !up) {
        changes.push({ kind: 'node', node: node.name, from: 'up', to: 'down', timestamp: nowMs / 1000 });
        // A node coming back re-announces its metrics' statuses from "ok".
        this.metricStatus.delete(node.name);
      }
      this.nodeUp.set(node.name, up);
    }
    for (const name of this.nodeUp.keys()) {
      if (this.table.get(name) !== undefined) continue;
      this.nodeUp.delete(name);
      this.metricStatus.delete(name);
    }
    return changes;
  }
}
