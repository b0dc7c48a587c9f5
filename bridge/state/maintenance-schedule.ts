import { Counter, Gauge, type Registry } from 'prom-client';
import { readMaintenanceFile, saveMaintenanceFile } from './maintenance-file.ts';
import type { MaintenanceState } from './maintenance-state.ts';
import { windowOpenUntil, type MaintenanceWindow } from './maintenance-windows.ts';

/** Windows set through the API: each is held in memory until deleted or past (bounded). */
export const MAX_RUNTIME_WINDOWS = 100;

export interface ListedWindow {
  readonly id: string;
  readonly source: 'inventory' | 'api';
  readonly window: MaintenanceWindow;
}

/** Where runtime windows are kept across restarts (with `--state-file`/`--spool-dir`), and who hears a failed save. */
export interface MaintenancePersistence {
  readonly path: string;
  readonly onSaveError: (error: Error) => void;
}

/**
 * The windows in force: those of the inventory file (replaced on SIGHUP) and those set at run time
 * through the API (saved next to the node state when there is one, else memory only;
 * docs/operations.md). Every evaluation takes the caller's clock, so tests and the bridge's
 * injected `now` agree.
 */
export class MaintenanceSchedule {
  private fromInventory: readonly MaintenanceWindow[] = [];
  private readonly runtime = new Map<string, MaintenanceWindow>();
  private nextId = 1;
  private readonly refused: Counter<'reason'>;
  private readonly held: Gauge;
  // Read per node per scrape (10 000 nodes × 1100 windows would be seconds): windows indexed by the
  // node or group they select, and each window evaluated once per clock reading.
  private index:
    | { readonly byNode: Map<string, MaintenanceWindow[]>; readonly byGroup: Map<string, MaintenanceWindow[]> }
    | undefined;
  private memoAt = Number.NaN;
  private readonly memo = new Map<MaintenanceWindow, number | undefined>();

  constructor(
    registry: Registry,
    private readonly now: () => number,
    private readonly persistence?: MaintenancePersistence,
  ) {
    this.refused = new Counter({
      name: 'obsmon_bridge_maintenance_refused_total',
      help: 'Maintenance windows refused by the API, by reason (invalid, limit, no_auth)',
      labelNames: ['reason'] as const,
      registers: [registry],
    });
    for (const r of ['invalid', 'limit', 'no_auth']) this.refused.labels(r).inc(0);
    this.held = new Gauge({
      name: 'obsmon_bridge_maintenance_runtime_windows',
      help: `Maintenance windows set through the API and held in memory (at most ${MAX_RUNTIME_WINDOWS})`,
      registers: [registry],
    });
  }

  /** Loads the saved runtime windows (at start-up); returns what was wrong with the file, if anything. */
  restore(): readonly string[] {
    if (this.persistence === undefined) return [];
    const saved = readMaintenanceFile(this.persistence.path, MAX_RUNTIME_WINDOWS);
    for (const [id, w] of saved.windows) this.runtime.set(id, w);
    this.index = undefined;
    this.nextId = saved.nextId;
    this.prune();
    return saved.problems;
  }

  private save(): void {
    if (this.persistence === undefined) return;
    try {
      saveMaintenanceFile(this.persistence.path, { nextId: this.nextId, windows: [...this.runtime] });
    } catch (error) {
      this.persistence.onSaveError(error as Error);
    }
  }

  replaceInventory(windows: readonly MaintenanceWindow[]): void {
    this.fromInventory = windows;
    this.index = undefined;
  }

  countRefusal(reason: 'invalid' | 'limit' | 'no_auth'): void {
    this.refused.labels(reason).inc();
  }

  /** A one-off window whose end has passed: it would never open. */
  isOver(window: MaintenanceWindow): boolean {
    return window.schedule.kind === 'once' && window.schedule.untilMs <= this.now();
  }

  /** Adds a runtime window; undefined when MAX_RUNTIME_WINDOWS are held already. */
  add(window: MaintenanceWindow): string | undefined {
    this.prune();
    if (this.runtime.size >= MAX_RUNTIME_WINDOWS) return undefined;
    const id = `m${this.nextId++}`;
    this.runtime.set(id, window);
    this.index = undefined;
    this.held.set(this.runtime.size);
    this.save();
    return id;
  }

  /** Deletes a runtime window (inventory windows change with the file only). */
  delete(id: string): boolean {
    const deleted = this.runtime.delete(id);
    if (deleted) this.index = undefined;
    this.held.set(this.runtime.size);
    if (deleted) this.save();
    return deleted;
  }

  list(): ListedWindow[] {
    this.prune();
    return [
      ...this.fromInventory.map((window, i): ListedWindow => ({ id: `inventory-${i}`, source: 'inventory', window })),
      ...[...this.runtime].map(([id, window]): ListedWindow => ({ id, source: 'api', window })),
    ];
  }

  /** Some window is held (inventory or API), open or not: without one, no node is in maintenance. */
  get hasWindows(): boolean {
    return this.fromInventory.length > 0 || this.runtime.size > 0;
  }

  /** The node's open window (the one closing last), or null. */
  stateOf(node: string, group: string, nowMs: number = this.now()): MaintenanceState | null {
    // Asked per node per scrape and per report: no window at all (the usual night) costs nothing.
    if (!this.hasWindows) return null;
    if (this.index === undefined) {
      const byNode = new Map<string, MaintenanceWindow[]>();
      const byGroup = new Map<string, MaintenanceWindow[]>();
      for (const w of [...this.fromInventory, ...this.runtime.values()]) {
        const [map, key] = 'node' in w.selector ? [byNode, w.selector.node] : [byGroup, w.selector.group];
        const list = map.get(key);
        if (list === undefined) map.set(key, [w]);
        else list.push(w);
      }
      this.index = { byNode, byGroup };
    }
    if (nowMs !== this.memoAt) {
      this.memo.clear();
      this.memoAt = nowMs;
    }
    let best: MaintenanceState | null = null;
    for (const list of [this.index.byNode.get(node), this.index.byGroup.get(group)]) {
      if (list === undefined) continue;
      for (const w of list) {
        let until: number | undefined;
        if (this.memo.has(w)) until = this.memo.get(w);
        else {
          until = windowOpenUntil(w, nowMs);
          this.memo.set(w, until);
        }
        if (until !== undefined && (best === null || Math.round(until / 1000) > best.until))
          best = { until: Math.round(until / 1000), reason: w.reason };
      }
    }
    return best;
  }

  /** One-off runtime windows that are over go, so they do not hold a slot. */
  private prune(): void {
    const now = this.now();
    for (const [id, w] of this.runtime) {
      if (w.schedule.kind === 'once' && w.schedule.untilMs <= now) {
        this.runtime.delete(id);
        this.index = undefined;
      }
    }
    this.held.set(this.runtime.size);
  }
}
