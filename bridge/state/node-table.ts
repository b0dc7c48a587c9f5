import { standardKey } from '../../protocol/keys.ts';
import { seriesId, splitSeriesId } from '../../protocol/series-id.ts';
import { EXACT_UP_TO, appended } from '../../lib/exact-array.ts';
import type { Report, Sample } from '../../protocol/line.ts';
import type { RejectReason } from '../../protocol/reject-reasons.ts';
import type { LevelStatus } from '../../protocol/status.ts';
import { DEFAULT_GROUP, type InventoryEntry } from './inventory.ts';
import { JUDGE_NOTHING, type NodeJudge } from './node-judge.ts';
import { DoubleBlocks } from './double-blocks.ts';

/** The table's numbers that are not small integers, three per series and per node: DoubleBlocks' slots. */
const NUMBERS_PER_SLOT = 3;

/** Latest value of one `key[@qualifier]` of a node. Its three numbers live in the table's DoubleBlocks. */
export class SeriesState {
  /** `value` judged at the node's levels once, when it arrived (and again on a reload); staleness is the reader's. */
  status: LevelStatus;
  /** Where the in-memory history keeps this series (bridge/store/memory-history.ts): found without a lookup. */
  history: object | undefined = undefined;
  private numbers: Float64Array;
  private at: number;

  constructor(
    readonly key: string,
    readonly qualifier: string | undefined,
    blocks: DoubleBlocks,
    value: number,
    timestamp: number,
    receivedAt: number,
    status: LevelStatus,
  ) {
    const slot = blocks.take();
    this.numbers = blocks.blockOf(slot);
    this.at = blocks.offsetOf(slot);
    this.status = status;
    this.value = value;
    this.timestamp = timestamp;
    this.receivedAt = receivedAt;
  }

  get value(): number {
    return this.numbers[this.at]!;
  }
  set value(v: number) {
    this.numbers[this.at] = v;
  }

  /** Agent reading time of `value`, unix seconds (receive time if the agent clock ran ahead). */
  get timestamp(): number {
    return this.numbers[this.at + 1]!;
  }
  set timestamp(t: number) {
    this.numbers[this.at + 1] = t;
  }

  /** Bridge clock when `value` arrived, ms. */
  get receivedAt(): number {
    return this.numbers[this.at + 2]!;
  }
  set receivedAt(t: number) {
    this.numbers[this.at + 2] = t;
  }

  /** Leave the table: the numbers move into an array of this series' own, its slot goes back to `blocks`. */
  removed(blocks: DoubleBlocks): void {
    this.numbers = blocks.release(this.numbers, this.at);
    this.at = 0;
  }
}

/** A series as a state file keeps it: its status is judged again at today's levels. */
export interface SavedSeries {
  readonly key: string;
  readonly qualifier: string | undefined;
  readonly value: number;
  readonly timestamp: number;
  readonly receivedAt: number;
}

/**
 * One node of the table. Its three numbers live in the table's DoubleBlocks (NaN standing for
 * undefined); a reload that changes its group or criticality makes a new NodeState (so rendered
 * label caches refresh), which takes over the slot, the series and the custom keys (`placed`).
 */
export class NodeState {
  readonly series: SeriesSlots;
  /** Distinct custom keys seen (bounded by maxCustomKeysPerNode); one shared empty set until the first. */
  readonly customKeys: ReadonlySet<string>;
  /** `AGENT <name>/<version>` of the connection of its last report (docs/protocol.md §9); undefined when it sent none. */
  agent: string | undefined;
  private numbers: Float64Array;
  private at: number;

  constructor(
    readonly name: string,
    readonly group: string,
    readonly critical: boolean,
    readonly inInventory: boolean,
    blocks: DoubleBlocks | undefined,
    from?: NodeState,
  ) {
    this.series = from?.series ?? new SeriesSlots();
    this.customKeys = from?.customKeys ?? NO_CUSTOM_KEYS;
    this.agent = from?.agent;
    if (from !== undefined) {
      this.numbers = from.numbers;
      this.at = from.at;
      // The old object may still be read (a stream subscriber, the state saver): it keeps a copy.
      from.numbers = from.numbers.slice(from.at, from.at + NUMBERS_PER_SLOT);
      from.at = 0;
    } else {
      const slot = blocks!.take();
      this.numbers = blocks!.blockOf(slot);
      this.at = blocks!.offsetOf(slot);
      this.numbers[this.at] = NaN;
      this.numbers[this.at + 1] = NaN;
    }
  }

  /** The same node under new inventory facts: a new object holding its state (this one keeps a copy). */
  placed(group: string, critical: boolean, inInventory: boolean): NodeState {
    return new NodeState(this.name, group, critical, inInventory, undefined, this);
  }

  /** Newest agent timestamp seen, unix seconds. */
  get lastTimestamp(): number | undefined {
    const t = this.numbers[this.at]!;
    return Number.isNaN(t) ? undefined : t;
  }
  set lastTimestamp(t: number | undefined) {
    this.numbers[this.at] = t ?? NaN;
  }

  /** Bridge clock of the last accepted report, ms; liveness is judged on this, not on agent clocks. */
  get lastReceivedAt(): number | undefined {
    const t = this.numbers[this.at + 1]!;
    return Number.isNaN(t) ? undefined : t;
  }
  set lastReceivedAt(t: number | undefined) {
    this.numbers[this.at + 1] = t ?? NaN;
  }

  /** Agent timestamp minus receive time of the last report that advanced the node, seconds. */
  get clockSkewSeconds(): number {
    return this.numbers[this.at + 2]!;
  }
  set clockSkewSeconds(s: number) {
    this.numbers[this.at + 2] = s;
  }

  /** Leave the table: this node's and its series' slots go back to `blocks`, their numbers stay readable. */
  removed(blocks: DoubleBlocks): void {
    this.numbers = blocks.release(this.numbers, this.at);
    this.at = 0;
    for (const s of this.series.values()) s.removed(blocks);
  }
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
  private readonly numbers = new DoubleBlocks(NUMBERS_PER_SLOT);
  private changes = 0;
  /** Told when a node enters the table (not per report): the bridge's tick wakes (bridge/state/bridge-tick.ts). */
  onNodeAdded: (() => void) | undefined;

  constructor(
    private readonly limits: NodeTableLimits,
    private inventory: ReadonlyMap<string, InventoryEntry> = new Map(),
    /** Status of each value that becomes a series' live value (bridge/state/node-judge.ts). */
    private readonly judge: NodeJudge = JUDGE_NOTHING,
  ) {
    for (const entry of inventory.values()) this.byName.set(entry.name, this.newNode(entry.name, entry));
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
      node = this.newNode(report.node, this.inventory.get(report.node));
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
        series = new SeriesState(
          sample.key,
          sample.qualifier,
          this.numbers,
          sample.value,
          timestamp,
          nowMs,
          judge(sample.key, sample.value),
        );
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
      if (this.limits.enforceInventory || node.lastReceivedAt === undefined) {
        this.byName.delete(name);
        node.removed(this.numbers);
      } else {
        const left = node.placed(DEFAULT_GROUP, false, false);
        this.byName.set(name, left);
        this.rejudgeNode(left);
      }
    }
    for (const entry of next.values()) {
      const node = this.byName.get(entry.name);
      if (node === undefined) {
        this.byName.set(entry.name, this.newNode(entry.name, entry));
        this.onNodeAdded?.();
      } else if (!node.inInventory || node.group !== entry.group || node.critical !== entry.critical) {
        const moved = node.placed(entry.group, entry.critical, true);
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
      node = this.newNode(saved.name, undefined);
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
      node.series.add(
        new SeriesState(s.key, s.qualifier, this.numbers, s.value, s.timestamp, s.receivedAt, judge(s.key, s.value)),
      );
    }
    return { ok: true, droppedSeries };
  }

  private newNode(name: string, entry: InventoryEntry | undefined): NodeState {
    return new NodeState(
      name,
      entry?.group ?? DEFAULT_GROUP,
      entry?.critical ?? false,
      entry !== undefined,
      this.numbers,
    );
  }

  /** Bytes of the blocks holding the table's numbers (they stay at the most ever held at once). */
  get numberBytes(): number {
    return this.numbers.bytes;
  }

  /** Drop nodes (not in the inventory) silent for longer than `forgetAfterMs`; returns how many. */
  forget(nowMs: number, forgetAfterMs: number): number {
    let removed = 0;
    for (const [name, node] of this.byName) {
      if (node.inInventory) continue;
      if (node.lastReceivedAt !== undefined && nowMs - node.lastReceivedAt > forgetAfterMs) {
        this.byName.delete(name);
        node.removed(this.numbers);
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

/** Up = a report arrived within `downAfterMs` (bridge clock). */
export function isUp(node: NodeState, nowMs: number, downAfterMs: number): boolean {
  return node.lastReceivedAt !== undefined && nowMs - node.lastReceivedAt <= downAfterMs;
}
