import type { AcceptedReport, NodeTable } from './node-table.ts';
import { seriesId } from '../../protocol/series-id.ts';
import { isUp } from './node-table.ts';
import type { Status } from '../../protocol/status.ts';
import type { StatusChange } from './status-change.ts';

// The shape lives in a module of its own, without runtime imports, so the status page reads it too.
export type { StatusChange } from './status-change.ts';

/**
 * What the tracker holds per node: `false` when it was last seen down; when up, `true`, or the statuses it
 * announced that are not ok (series id -> last announced status; absent means ok). A down node holds
 * none (coming back re-announces from ok), so a healthy node costs no object of its own (one was 40 bytes).
 */
type NodeTrack = boolean | Map<string, Status>;

const NO_CHANGES: readonly StatusChange[] = Object.freeze([]);

/**
 * Remembers the last status of every series and node and reports transitions only, so consumers
 * (stream, RTS2 messages) hear about a crossing once, not on every report. It judges nothing: the
 * status of each value was judged once at ingest (NodeTable.accept) and is only compared here.
 *
 * Per report it costs one Map lookup (the node): each value is read through the report's table slot,
 * and only statuses other than ok are remembered, so an ok value of a node with nothing announced is
 * one comparison. A series id is built only for a value that is, or was, not ok.
 */
export class StatusTracker {
  /** node -> its track; bounded by the table's limits (series per node, nodes), pruned with it by sweep. */
  private readonly nodes = new Map<string, NodeTrack>();
  /**
   * The table's generation at the last full sweep, and the earliest time (ms) a node then up could be
   * found down: until then, with the table's membership unchanged, a sweep has nothing to find
   * (a report only moves a node's time of going down later; one coming back is announced by onReport).
   */
  private sweptGeneration = -1;
  private nextDownAt = -Infinity;

  constructor(
    private readonly table: NodeTable,
    private readonly downAfterMs: number,
  ) {}

  /**
   * Transitions caused by one accepted report (only samples that became the live value count).
   * `flagged`, when given, receives the series id and status of each such value that is not ok.
   */
  onReport(report: AcceptedReport, flagged?: Map<string, Status>): readonly StatusChange[] {
    // The slots come with every report NodeTable.accept took; a report built otherwise is looked up.
    const slots = report.series;
    const node = slots === undefined ? this.table.get(report.node) : undefined;
    if (slots === undefined && node === undefined) return NO_CHANGES;
    let changes: StatusChange[] | undefined;
    const track = this.nodes.get(report.node);
    if (track === undefined || track === false) {
      if (track === false)
        changes = [{ kind: 'node', node: report.node, from: 'down', to: 'up', timestamp: report.receivedAt / 1000 }];
      this.nodes.set(report.node, true);
      // Up now, so the sweep must look again by the time it can be down (the only node with no time of its own).
      this.nextDownAt = Math.min(this.nextDownAt, report.receivedAt + this.downAfterMs);
    }
    const announced = typeof track === 'object' ? track : undefined;
    let notOk = announced;
    const samples = report.samples;
    for (let i = 0; i < samples.length; i += 1) {
      const sample = samples[i]!;
      const series = slots !== undefined ? slots[i] : node!.series.find(sample.key, sample.qualifier);
      if (series === undefined || series.timestamp !== report.timestamp) continue;
      const to = series.status;
      // The healthy fleet's path: ok now, and nothing of this node announced otherwise.
      if (to === 'ok' && notOk === undefined) continue;
      const id = seriesId(sample.key, sample.qualifier);
      if (to !== 'ok') flagged?.set(id, to);
      const from = notOk?.get(id) ?? 'ok';
      if (from === to) continue;
      if (to !== 'ok') (notOk ??= new Map()).set(id, to);
      else if (notOk !== undefined) {
        notOk.delete(id);
        if (notOk.size === 0) notOk = undefined;
      }
      (changes ??= []).push({
        kind: 'metric',
        node: report.node,
        metric: id,
        from,
        to,
        value: sample.value,
        timestamp: report.timestamp,
      });
    }
    if (notOk !== announced) this.nodes.set(report.node, notOk ?? true);
    return changes ?? NO_CHANGES;
  }

  /**
   * Nodes that went down since the last sweep; call periodically (every second). A healthy fleet's
   * sweep is one comparison: every node is looked at only once the earliest of them can be down, or
   * the table's membership changed.
   */
  sweep(nowMs: number): readonly StatusChange[] {
    if (this.table.generation === this.sweptGeneration && nowMs <= this.nextDownAt) return NO_CHANGES;
    this.sweptGeneration = this.table.generation;
    let nextDownAt = Infinity;
    const changes: StatusChange[] = [];
    for (const node of this.table.nodes()) {
      const up = isUp(node, nowMs, this.downAfterMs);
      if (up) nextDownAt = Math.min(nextDownAt, node.lastReceivedAt! + this.downAfterMs);
      const track = this.nodes.get(node.name);
      if (track === undefined) {
        this.nodes.set(node.name, up);
        continue;
      }
      const wasUp = track !== false;
      if (wasUp && !up) {
        changes.push({ kind: 'node', node: node.name, from: 'up', to: 'down', timestamp: nowMs / 1000 });
        // Down drops what it announced: a node coming back re-announces its metrics' statuses from "ok".
        this.nodes.set(node.name, false);
      } else if (!wasUp && up) this.nodes.set(node.name, true);
    }
    this.nextDownAt = nextDownAt;
    // Every node of the table has a track now: more tracks than nodes means some node was removed.
    if (this.nodes.size > this.table.size) {
      for (const name of this.nodes.keys()) {
        if (this.table.get(name) === undefined) this.nodes.delete(name);
      }
    }
    return changes;
  }
}
