import type { BridgeComponent, EventHistory } from './event-history.ts';
import type { MaintenanceSchedule } from './maintenance-schedule.ts';
import { isUp, type NodeTable } from './node-table.ts';
import type { StatusChange } from './status-tracker.ts';

/**
 * Turns the status changes the bridge already computes (StatusTracker: threshold crossings, nodes
 * down and up) and its own problems into event-log entries. It judges no threshold itself; it only
 * remembers what the log last said per series, node and component, so a change is recorded once,
 * also across a restart (the memory is seeded from the restored log: a metric still in error after
 * a restart is not a new crossing).
 */
export class EventRecorder {
  /** node -> series id -> last recorded status (pruned by `reconcile`). */
  private readonly metrics = new Map<string, Map<string, string>>();
  /** node -> last recorded 'up' / 'down'. */
  private readonly nodes = new Map<string, string>();
  /** Nodes recorded 'down': while there is none, reconcile can only find nodes gone down by time. */
  private downCount = 0;
  /** As StatusTracker.sweep: the table's generation at the last full reconcile, and the earliest time a node recorded up can be down. */
  private reconciledGeneration = -1;
  private nextDownAt = -Infinity;
  private readonly components = new Map<BridgeComponent, string>();
  /** node -> 'on' while the log says a maintenance window is open for it. */
  private readonly windows = new Map<string, 'on' | 'off'>();

  constructor(
    private readonly history: EventHistory,
    private readonly table: NodeTable,
    private readonly downAfterMs: number,
    private readonly now: () => number,
    /** Nodes remembered at most beyond those in the table (the table has its own bound). */
    private readonly maxRemembered = 10_000,
    /** The windows (bridge/state/maintenance-schedule.ts): a node's window opening and closing are events too. */
    private readonly maintenance?: Pick<MaintenanceSchedule, 'stateOf' | 'hasWindows'>,
  ) {
    for (const e of history.all()) {
      if (e.kind === 'node' && e.node !== null) {
        this.setNode(e.node, e.to);
        if (e.to === 'down') this.metrics.delete(e.node);
      } else if (e.kind === 'threshold' && e.node !== null && e.metric !== null) {
        this.seriesOf(e.node).set(e.metric, e.to);
      } else if (e.kind === 'maintenance' && e.node !== null) {
        this.windows.set(e.node, e.to === 'on' ? 'on' : 'off');
      } else if (e.component !== null) {
        this.components.set(e.component, e.to);
      }
    }
  }

  statusChange(change: StatusChange): void {
    const node = this.table.get(change.node);
    const group = node?.group ?? null;
    if (change.kind === 'metric') {
      if (change.to === 'stale') return;
      const series = this.seriesOf(change.node);
      const from = series.get(change.metric) ?? 'ok';
      if (from === change.to) return;
      series.set(change.metric, change.to);
      this.history.record({
        time: change.timestamp,
        kind: 'threshold',
        severity: change.to === 'ok' ? 'info' : change.to === 'error' ? 'error' : 'warning',
        node: change.node,
        group,
        metric: change.metric,
        component: null,
        from,
        to: change.to,
        value: change.value,
        message: null,
      });
      return;
    }
    this.nodeChange(change.node, change.to, change.timestamp);
  }

  /**
   * Periodic: nodes whose up/down the log tells otherwise than the table now (the down transition
   * happens by time; after a restart the tracker starts blank) get their event, judged by the same
   * `isUp` as the API. Nodes that left the table are forgotten once more than `maxRemembered` are known.
   */
  reconcile(): void {
    const nowMs = this.now();
    const prune = this.nodes.size > this.maxRemembered;
    // A healthy fleet (every node recorded up, none gone since the last look) skips the loop until
    // the earliest of them can be down: what a report changes only moves that time later.
    const settled =
      this.downCount === 0 && !prune && this.table.generation === this.reconciledGeneration && nowMs <= this.nextDownAt;
    if (!settled) this.reconcileNodes(nowMs, prune);
    if (this.metrics.size > this.maxRemembered)
      for (const name of this.metrics.keys()) if (this.table.get(name) === undefined) this.metrics.delete(name);
    // No window held and none recorded open (the usual night): no node can change, so none is looked at
    // (at 10 000 nodes the loop was ~0.5 ms a second, about a fortieth of the bridge's CPU per report).
    if (this.maintenance !== undefined && (this.windows.size > 0 || this.maintenance.hasWindows))
      this.reconcileMaintenance(nowMs, this.maintenance);
  }

  private reconcileNodes(nowMs: number, prune: boolean): void {
    this.reconciledGeneration = this.table.generation;
    let nextDownAt = Infinity;
    for (const [name, last] of this.nodes) {
      const node = this.table.get(name);
      if (node === undefined) {
        // Kept while the bound allows: a node missing from the table after a restart (forgotten, or
        // not yet saved) that reports again has its "up" recorded.
        if (prune) this.deleteNode(name);
        continue;
      }
      const state = isUp(node, nowMs, this.downAfterMs) ? 'up' : 'down';
      if (state !== last)
        this.nodeChange(name, state, state === 'up' ? (node.lastReceivedAt ?? nowMs) / 1000 : nowMs / 1000);
      if (state === 'up') nextDownAt = Math.min(nextDownAt, node.lastReceivedAt! + this.downAfterMs);
    }
    this.nextDownAt = nextDownAt;
  }

  private setNode(name: string, to: string): void {
    const last = this.nodes.get(name);
    if (last === 'down') this.downCount -= 1;
    if (to === 'down') this.downCount += 1;
    this.nodes.set(name, to);
  }

  private deleteNode(name: string): void {
    if (this.nodes.get(name) === 'down') this.downCount -= 1;
    this.nodes.delete(name);
  }

  /** Windows open and close by time (or by the API, or a reload): each node's change is one event. */
  private reconcileMaintenance(nowMs: number, schedule: Pick<MaintenanceSchedule, 'stateOf'>): void {
    for (const node of this.table.nodes()) {
      const window = schedule.stateOf(node.name, node.group, nowMs);
      const to = window === null ? 'off' : 'on';
      const from = this.windows.get(node.name) ?? 'off';
      if (from === to) continue;
      if (to === 'on') this.windows.set(node.name, 'on');
      else this.windows.delete(node.name);
      const message =
        window === null
          ? null
          : `until ${new Date(window.until * 1000).toISOString().slice(0, 16).replace('T', ' ')} UTC${window.reason === '' ? '' : `: ${window.reason}`}`;
      this.history.record({
        time: nowMs / 1000,
        kind: 'maintenance',
        severity: 'info',
        node: node.name,
        group: node.group,
        metric: null,
        component: null,
        from,
        to,
        value: null,
        message,
      });
    }
  }

  /** A problem of the bridge (ok false) or its end (ok true); recorded when it changes. */
  bridge(component: BridgeComponent, ok: boolean, message: string): void {
    const to = ok ? 'ok' : 'error';
    const last = this.components.get(component) ?? 'ok';
    if (last === to) return;
    this.components.set(component, to);
    this.history.record({
      time: this.now() / 1000,
      kind: 'bridge',
      severity: ok ? 'info' : 'error',
      node: null,
      group: null,
      metric: null,
      component,
      from: last,
      to,
      value: null,
      message,
    });
  }

  private nodeChange(name: string, to: 'up' | 'down', time: number): void {
    const last = this.nodes.get(name);
    if (last === to) return;
    this.setNode(name, to);
    // A node coming back starts its metrics from "ok", as the tracker does.
    if (to === 'down') this.metrics.delete(name);
    const node = this.table.get(name);
    // Recorded up: reconcile must look again by the time it can be down.
    if (to === 'up')
      this.nextDownAt = Math.min(this.nextDownAt, (node?.lastReceivedAt ?? -Infinity) + this.downAfterMs);
    this.history.record({
      time,
      kind: 'node',
      severity: to === 'up' ? 'info' : node?.critical === true ? 'error' : 'warning',
      node: name,
      group: node?.group ?? null,
      metric: null,
      component: null,
      from: to === 'up' ? 'down' : 'up',
      to,
      value: null,
      message: null,
    });
  }

  private seriesOf(node: string): Map<string, string> {
    let series = this.metrics.get(node);
    if (series === undefined) {
      series = new Map();
      this.metrics.set(node, series);
    }
    return series;
  }
}
