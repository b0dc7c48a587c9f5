import { standardKey } from '../../protocol/keys.ts';
import { seriesId, splitSeriesId } from '../../protocol/series-id.ts';
import { EXACT_UP_TO, appended } from '../../lib/exact-array.ts';
import type { Report, Sample } from '../../protocol/line.ts';
import type { RejectReason } from '../../protocol/reject-reasons.ts';
import type { LevelStatus } from '../../protocol/status.ts';
import { DEFAULT_GROUP, type InventoryEntry } from './inventory.ts';
import { JUDGE_NOTHING, type NodeJudge } from './node-judge.ts';

/** Latest value of one `key[@qualifier]` of a node. */
export interface SeriesState {
  readonly key: string;
  readonly qualifier: string | undefined;
  value: number;
  /** Agent reading time of `value`, unix seconds (receive time if the agent clock ran ahead). */
  timestamp: number;
  /** Bridge clock when `value` arrived, ms. */
  receivedAt: number;
  /** `value` judged at the node's levels once, when it arrived (and again on a reload); staleness is the reader's. */
  status: LevelStatus;
  /** Where the in-memory history keeps this series (bridge/store/memory-history.ts): found without a lookup. */
  history?: object | undefined;
}

/** A series as a state file keeps it: its status is judged again at today's levels. */
export type SavedSeries = Omit<SeriesState, 'status' | 'history'>;

export interface NodeState {
  readonly name: string;
  readonly group: string;
  readonly critical: boolean;
  readonly inInventory: boolean;
  readonly series: SeriesSlots;
  /** Distinct custom keys seen (bounded by maxCustomKeysPerNode); one shared empty set until the first. */
  readonly customKeys: ReadonlySet<string>;
  /** Newest agent timestamp seen, unix seconds. */
  lastTimestamp: number | undefined;
  /** Bridge clock of the last accepted report, ms; liveness is judged on this, not on agent clocks. */
  lastReceivedAt: number | undefined;
  /** Agent timestamp minus receive time of the last report that advanced the node, seconds. */
  clockSkewSeconds: number;
  /** `AGENT <name>/<version>` of the connection of its last report (docs/protocol.md §9); undefined when it sent none. */
  agent: string | undefined;
}

/** Never pushed to (appended copies a short list): every node without series shares it. */
const NO_SERIES: SeriesState[] = [];

/**
 * A node's series in arrival order, by series id (`key[@qualifier]`): the part of `Map` the code
 * reads. Most nodes have a handful of series: for them one exactly sized array searched linearly,
 * no id string (a `Map` of 7 series held ~300 bytes, this ~140). A node with more than
 * EXACT_UP_TO series (--max-series-per-node allows 100 000) gets a `Map` by id as well, so a
 * report of many series costs no quadratic search.
 */
export class SeriesSlots {
  private list = NO_SERIES;
  private index: Map<string, SeriesState> | undefined = undefined;

  get size(): number {
    return this.list.length;
  }

  /** The series of `key` and `qualifier` (the table's lookup: no id string built for a small node). */
  find(key: string, qualifier: string | undefined): SeriesState | undefined {
    if (this.index !== undefined) return this.index.get(seriesId(key, qualifier));
    const list = this.list;
    for (let i = 0; i < list.length; i += 1) {
      const s = list[i]!;
      if (s.key === key && s.qualifier === qualifier) return s;
    }
    return undefined;
  }

  get(id: string): SeriesState | undefined {
    if (this.index !== undefined) return this.index.get(id);
    const { key, qualifier } = splitSeriesId(id);
    return this.find(key, qualifier);
  }

  has(id: string): boolean {
    return this.get(id) !== undefined;
  }

  /** Append a series the node does not have yet (the caller checked with `find`). */
  add(series: SeriesState): void {
    this.list = appended(this.list, series);
    if (this.index !== undefined) this.index.set(seriesId(series.key, series.qualifier), series);
    else if (this.list.length > EXACT_UP_TO)
      this.index = new Map(this.list.map((s) => [seriesId(s.key, s.qualifier), s]));
  }

  values(): IterableIterator<SeriesState> {
    return this.list.values();
  }

  /** The `index`th series in arrival order (series are only ever appended, so an index stays its series). */
  at(index: number): SeriesState | undefined {
    return this.list[index];
  }

  *keys(): IterableIterator<string> {
    for (const s of this.list) yield seriesId(s.key, s.qualifier);
  }

  *entries(): IterableIterator<[string, SeriesState]> {
    for (const s of this.list) yield [seriesId(s.key, s.qualifier), s];
  }

  [Symbol.iterator](): IterableIterator<[string, SeriesState]> {
    return this.entries();
  }
}

/** A report as stored: timestamp already corrected for a broken agent clock. */
export interface AcceptedReport {
  readonly node: string;
  readonly timestamp: number;
  readonly samples: readonly Sample[];
  readonly receivedAt: number;
  /**
   * The table's slot of each sample (`series[i]` holds `samples[i]`'s series), so a sink that keeps
   * something per series resolves it by the slot, not by a series id per value. Set by NodeTable.accept.
   */
  readonly series?: readonly SeriesState[];
}

export type AcceptOutcome =
  | {
      readonly ok: true;
      readonly report: AcceptedReport;
      /** New series refused by maxSeriesPerNode. */
      readonly droppedSamples: number;
      /** New custom keys refused by maxCustomKeysPerNode. */
      readonly droppedCustomKeys: number;
      readonly clockAhead: boolean;
      /** Older than the node's newest report (a replayed queue): taken, but it moves no live value. */
      readonly outOfOrder: boolean;
    }
  | { readonly ok: false; readonly reason: RejectReason };

export interface NodeTableLimits {
  readonly maxNodes: number;
  readonly maxSeriesPerNode: number;
  readonly backfillWindowSeconds: number;
  readonly futureToleranceSeconds: number;
  readonly enforceInventory: boolean;
  /** Custom (non-standard) keys per node, counted per key whatever its qualifiers. Default: unlimited. */
  readonly maxCustomKeysPerNode?: number;
}

/** A node as a state file keeps it: what liveness, status and the exposition are judged on. */
export interface SavedNode {
  readonly name: string;
  readonly lastTimestamp: number;
  readonly lastReceivedAt: number;
  readonly clockSkewSeconds: number;
  readonly series: readonly SavedSeries[];
  /** The node's `AGENT` token; absent when unknown (and in files written before it). */
  readonly agent?: string;
}

export type RestoreOutcome =
  | { readonly ok: true; readonly droppedSeries: number }
  | { readonly ok: false; readonly reason: 'unknown_node' | 'too_many_nodes' };

/**
 * The bridge's live state: one entry per node, the newest value per series. Bounded by maxNodes and
 * maxSeriesPerNode so a flood of invented names cannot grow memory without limit.
 */
export class NodeTable {
  private readonly byName = new Map<string, NodeState>();
  private changes = 0;
  /** Told when a node enters the table (not per report): the bridge's tick wakes (bridge/state/bridge-tick.ts). */
  onNodeAdded: (() => void) | undefined;

  constructor(
    private readonly limits: NodeTableLimits,
    private inventory: ReadonlyMap<string, InventoryEntry> = new Map(),
    /** Status of each value that becomes a series' live value (bridge/state/node-judge.ts). */
    private readonly judge: NodeJudge = JUDGE_NOTHING,
  ) {
    for (const entry of inventory.values()) this.byName.set(entry.name, newNode(entry.name, entry));
  }

  get size(): number {
    return this.byName.size;
  }

  /**
   * Bumped whenever a node enters or leaves the table (or is replaced by a reload), or a report moves
   * a node's lastReceivedAt back (the bridge's clock stepped back). While it stands still, a node's
   * time of going down (lastReceivedAt + down-after) only moves later, so a periodic down check may
   * skip every node until the earliest such time it computed (StatusTracker, EventRecorder).
   */
  get generation(): number {
    return this.changes;
  }

  nodes(): IterableIterator<NodeState> {
    return this.byName.values();
  }

  get(name: string): NodeState | undefined {
    return this.byName.get(name);
  }

  /** `agent`: the reporting connection's `AGENT` token, recorded on the node (undefined: none sent). */
  accept(report: Report, nowMs: number, agent?: string): AcceptOutcome {
    const nowSeconds = nowMs / 1000;
    if (report.timestamp < nowSeconds - this.limits.backfillWindowSeconds) return { ok: false, reason: 'too_old' };
    let node = this.byName.get(report.node);
    if (node === undefined) {
      if (this.limits.enforceInventory) return { ok: false, reason: 'unknown_node' };
      if (this.byName.size >= this.limits.maxNodes) return { ok: false, reason: 'too_many_nodes' };
      node = newNode(report.node, this.inventory.get(report.node));
      this.byName.set(report.node, node);
      this.changes += 1;
      this.onNodeAdded?.();
    }
    // A clock running ahead would hide every later correct report behind "newest wins": use the
    // receive time instead, and make the skew visible.
    const clockAhead = report.timestamp > nowSeconds + this.limits.futureToleranceSeconds;
    const timestamp = clockAhead ? nowSeconds : report.timestamp;
    const advances = node.lastTimestamp === undefined || timestamp >= node.lastTimestamp;
    if (advances) {
      node.lastTimestamp = timestamp;
      node.clockSkewSeconds = report.timestamp - nowSeconds;
    }
    if (node.lastReceivedAt !== undefined && nowMs < node.lastReceivedAt) this.changes += 1;
    node.lastReceivedAt = nowMs;
    node.agent = agent;
    const judge = this.judge(node);

    // One search of the node's series per sample; the report's own samples are passed on unless one was dropped.
    const samples = report.samples;
    const slots: SeriesState[] = [];
    let kept: Sample[] | undefined;
    let droppedSamples = 0;
    let droppedCustomKeys = 0;
    for (let k = 0; k < samples.length; k += 1) {
      const sample = samples[k]!;
      let series = node.series.find(sample.key, sample.qualifier);
      if (series === undefined) {
        if (node.series.size >= this.limits.maxSeriesPerNode) {
          droppedSamples += 1;
          kept ??= samples.slice(0, k);
          continue;
        }
        if (standardKey(sample.key) === undefined && !node.customKeys.has(sample.key)) {
          if (node.customKeys.size >= (this.limits.maxCustomKeysPerNode ?? Infinity)) {
            droppedCustomKeys += 1;
            kept ??= samples.slice(0, k);
            continue;
          }
          addCustomKey(node, sample.key);
        }
        series = {
          key: sample.key,
          qualifier: sample.qualifier,
          value: sample.value,
          timestamp,
          receivedAt: nowMs,
          status: judge(sample.key, sample.value),
          // Set here, not added later by the history: a field added to a literal's object takes a
          // property array of its own (tens of bytes per series).
          history: undefined,
        };
        node.series.add(series);
      } else if (timestamp >= series.timestamp) {
        // Newest by agent time wins: a replayed old report never overwrites a fresher value.
        series.value = sample.value;
        series.timestamp = timestamp;
        series.receivedAt = nowMs;
        series.status = judge(sample.key, sample.value);
      }
      slots.push(series);
      kept?.push(sample);
    }
    return {
      ok: true,
      report: { node: node.name, timestamp, samples: kept ?? samples, receivedAt: nowMs, series: slots },
      droppedSamples,
      droppedCustomKeys,
      clockAhead,
      outOfOrder: !advances,
    };
  }

  /**
   * Adopt a new inventory (SIGHUP reload). New entries are listed as never reported; entries whose
   * group or criticality changed take the new ones (a new NodeState, so rendered label caches
   * refresh); removed ones become ordinary nodes, dropped at once if they never reported or
   * --enforce-inventory refuses them from now on, else forgotten after --forget-after.
   */
  replaceInventory(next: ReadonlyMap<string, InventoryEntry>): void {
    const previous = this.inventory;
    this.inventory = next;
    this.changes += 1;
    for (const name of previous.keys()) {
      const node = this.byName.get(name);
      if (next.has(name) || node === undefined) continue;
      if (this.limits.enforceInventory || node.lastReceivedAt === undefined) this.byName.delete(name);
      else {
        const left = { ...node, group: DEFAULT_GROUP, critical: false, inInventory: false };
        this.byName.set(name, left);
        this.rejudgeNode(left);
      }
    }
    for (const entry of next.values()) {
      const node = this.byName.get(entry.name);
      if (node === undefined) {
        this.byName.set(entry.name, newNode(entry.name, entry));
        this.onNodeAdded?.();
      } else if (!node.inInventory || node.group !== entry.group || node.critical !== entry.critical) {
        const moved = { ...node, group: entry.group, critical: entry.critical, inInventory: true };
        this.byName.set(entry.name, moved);
        if (moved.group !== node.group) this.rejudgeNode(moved);
      }
    }
  }

  /** Judge every live value again (the levels changed: SIGHUP reload of the thresholds). */
  rejudge(): void {
    for (const node of this.byName.values()) this.rejudgeNode(node);
  }

  private rejudgeNode(node: NodeState): void {
    const judge = this.judge(node);
    for (const s of node.series.values()) s.status = judge(s.key, s.value);
  }

  /**
   * Put back a node saved by an earlier run (node-state-file.ts), under today's limits and inventory:
   * group and critical come from the inventory, not the file. Series beyond the limits are dropped.
   */
  restore(saved: SavedNode): RestoreOutcome {
    this.changes += 1;
    let node = this.byName.get(saved.name);
    if (node === undefined) {
      if (this.limits.enforceInventory) return { ok: false, reason: 'unknown_node' };
      if (this.byName.size >= this.limits.maxNodes) return { ok: false, reason: 'too_many_nodes' };
      node = newNode(saved.name, undefined);
      this.byName.set(saved.name, node);
      this.onNodeAdded?.();
    }
    node.lastTimestamp = saved.lastTimestamp;
    node.lastReceivedAt = saved.lastReceivedAt;
    node.clockSkewSeconds = saved.clockSkewSeconds;
    node.agent = saved.agent;
    let droppedSeries = 0;
    const judge = this.judge(node);
    for (const s of saved.series) {
      if (node.series.find(s.key, s.qualifier) !== undefined) continue;
      const custom = standardKey(s.key) === undefined && !node.customKeys.has(s.key);
      if (
        node.series.size >= this.limits.maxSeriesPerNode ||
        (custom && node.customKeys.size >= (this.limits.maxCustomKeysPerNode ?? Infinity))
      ) {
        droppedSeries += 1;
        continue;
      }
      if (custom) addCustomKey(node, s.key);
      node.series.add({
        key: s.key,
        qualifier: s.qualifier,
        value: s.value,
        timestamp: s.timestamp,
        receivedAt: s.receivedAt,
        status: judge(s.key, s.value),
        history: undefined,
      });
    }
    return { ok: true, droppedSeries };
  }

  /** Drop nodes (not in the inventory) silent for longer than `forgetAfterMs`; returns how many. */
  forget(nowMs: number, forgetAfterMs: number): number {
    let removed = 0;
    for (const [name, node] of this.byName) {
      if (node.inInventory) continue;
      if (node.lastReceivedAt !== undefined && nowMs - node.lastReceivedAt > forgetAfterMs) {
        this.byName.delete(name);
        this.changes += 1;
        removed += 1;
      }
    }
    return removed;
  }
}

/** Most nodes send standard keys only: they share this set instead of holding an empty one each. */
const NO_CUSTOM_KEYS: ReadonlySet<string> = new Set();

function addCustomKey(node: NodeState, key: string): void {
  const keys = node.customKeys === NO_CUSTOM_KEYS ? new Set<string>() : (node.customKeys as Set<string>);
  keys.add(key);
  (node as { customKeys: ReadonlySet<string> }).customKeys = keys;
}

function newNode(name: string, entry: InventoryEntry | undefined): NodeState {
  return {
    name,
    group: entry?.group ?? DEFAULT_GROUP,
    critical: entry?.critical ?? false,
    inInventory: entry !== undefined,
    series: new SeriesSlots(),
    customKeys: NO_CUSTOM_KEYS,
    lastTimestamp: undefined,
    lastReceivedAt: undefined,
    clockSkewSeconds: 0,
    agent: undefined,
  };
}

/** Up = a report arrived within `downAfterMs` (bridge clock). */
export function isUp(node: NodeState, nowMs: number, downAfterMs: number): boolean {
  return node.lastReceivedAt !== undefined && nowMs - node.lastReceivedAt <= downAfterMs;
}
