import { escapeLabelValue, metricOf, NODE_METRICS, seriesHead } from '../../protocol/metric-names.ts';
import { isUp, type NodeState, type NodeTable } from '../state/node-table.ts';
import type { MaintenanceLookup } from '../state/node-view.ts';
import type { Thresholds } from '../../config/thresholds.ts';
import { fractionDigits, POWERS_OF_TEN } from '../../lib/number-text.ts';

export { escapeLabelValue };

export interface NodeExpositionOptions {
  readonly downAfterMs: number;
  /** Open maintenance windows: `obsmon_node_maintenance` 1 for a node in one (alert rules read it). */
  readonly maintenance?: MaintenanceLookup;
}

const header = (name: string, help: string) => Buffer.from(`# HELP ${name} ${help}\n# TYPE ${name} gauge\n`);

/** Value families in exposition order; a sample goes to the one of its metric (protocol/metric-names.ts). */
const VALUE_FAMILIES = NODE_METRICS.map((m) => header(m.name, m.help));
const FAMILY_INDEX = new Map(NODE_METRICS.map((m, i) => [m, i]));

const UP = header('obsmon_node_up', '1 if the node reported within --down-after, else 0');
const MAINTENANCE = header(
  'obsmon_node_maintenance',
  '1 while the node is in a maintenance window (its alerts are suppressed), else 0',
);
const LAST_REPORT = header(
  'obsmon_node_last_report_timestamp_seconds',
  'Agent timestamp of the newest report, unix seconds',
);
const CLOCK_SKEW = header(
  'obsmon_node_clock_skew_seconds',
  'Agent clock minus bridge clock at the newest report, seconds',
);
const INFO = header('obsmon_node_info', 'Inventory facts of a node (always 1)');
const AGENT_INFO = header(
  'obsmon_node_agent_info',
  'Agent name/version the node last reported with (AGENT line; always 1, absent when it sent none)',
);
const THRESHOLD = header(
  'obsmon_threshold',
  'Warning/error level per node and metric (protocol key) the node reports, from the thresholds file',
);

/** The pieces of a node's text, in this order: piece p is `text[at[p]]` up to `text[at[p + 1]]`. */
const P_UP_0 = 0;
const P_UP_1 = 1;
const P_MAINTENANCE_0 = 2;
const P_MAINTENANCE_1 = 3;
const P_LAST = 4;
const P_SKEW = 5;
const P_INFO = 6;
const P_AGENT = 7;
/** Then one `metric{labels} ` per series, in `series` order. */
const P_HEADS = 8;

/** Offsets of a node's fixed pieces (P_UP_0 … the end of P_AGENT), then one per series head and the end. */
const FIXED_OFFSETS = P_HEADS + 1;
/** Bytes of a slab: large enough that slabs are few, small enough that a compaction's copies are short. */
const SLAB_BYTES = 256 * 1024;
/** The first slab of a table: tests make many small tables. */
const FIRST_SLAB_BYTES = 4096;
const align4 = (n: number) => (n + 3) & ~3;

/**
 * The constant text of a table's nodes (label sets, up/maintenance lines both ways, info and agent
 * lines, the head of each series): what a scrape copies unchanged, so it formats only the values.
 * Threshold lines are not kept: they are the bulk of a node's constant text (~650 of ~1 050 bytes
 * for a standard node), and only a scrape whose constant families changed writes them (levelLines).
 * A node's text is one record in a shared append-only slab (a few Buffers of SLAB_BYTES, not a
 * Buffer, views and arrays per node: ~1 KB less a node), described by typed arrays indexed by the node's
 * slot. A record is the text's UTF-8 bytes, padded to 4, then little-endian 32-bit words: the
 * FIXED_OFFSETS + S piece offsets (from the record's start; piece p is up to offset p + 1), then per
 * series in exposition order (sorted by value family, in arrival order within one) its arrival index
 * × 256 + its family. A record never spans two slabs (one longer than a slab gets a slab of its own).
 *
 * Bytes are never written twice: a rebuilt node appends a new record, and compaction copies the live
 * records into fresh slabs once dead ones outweigh them, so a scrape in flight keeps reading the slabs
 * it took its views of. A node leaves with the pass that no longer finds it in the table (sweep).
 * Measured (10 000 and 50 000 standard nodes, heap and array buffers after gc): ~890 bytes a node less
 * than a Buffer, DataView, two views, three arrays, an object and a WeakMap entry per node.
 *
 * Half the lines at 10 000 nodes are threshold levels that never change between scrapes, hence this
 * text. Value text is not kept: at a scrape interval equal to the report interval every value changed,
 * and kept lines lived long enough to be promoted, so each scrape left old-generation garbage (seconds
 * of mark-compact at 50 000 nodes).
 */
class NodeTexts {
  slabs: Buffer[] = [];
  views: DataView[] = [];
  /** Bytes written in the last slab. */
  private used = 0;
  /** Bytes of live and of dead records in the slabs (dead: a node gone, or rebuilt since). */
  live = 0;
  dead = 0;
  private builds = 0;
  private passes = 0;
  private readonly slotOf = new WeakMap<NodeState, number>();
  private readonly free: number[] = [];
  /** Slots handed out (free ones included). */
  private slots = 0;
  /** Per slot: its node (undefined: a free slot), and what its record was built from. */
  private owner: (NodeState | undefined)[] = [];
  private thresholds: (Thresholds | undefined)[] = [];
  private agent: (string | undefined)[] = [];
  slab = new Int32Array(0);
  start = new Int32Array(0);
  length = new Int32Array(0);
  /** Where the record's words start (absolute in its slab). */
  words = new Int32Array(0);
  seriesCount = new Int32Array(0);
  private generation = new Float64Array(0);
  /** A number per build, never reused: the same build ids, the same text. */
  build = new Float64Array(0);
  private mark = new Float64Array(0);

  /** The node's slot if its record is still that of its series, agent and thresholds. */
  current(node: NodeState, thresholds: Thresholds): number {
    const slot = this.slotOf.get(node);
    return slot !== undefined &&
      this.owner[slot] === node &&
      this.thresholds[slot] === thresholds &&
      this.generation[slot] === thresholds.generation &&
      this.seriesCount[slot] === node.series.size &&
      this.agent[slot] === node.agent
      ? slot
      : -1;
  }

  /** A pass over the table begins: its nodes are marked as they are visited (see sweep). */
  beginPass(): number {
    return ++this.passes;
  }

  visit(slot: number, pass: number): void {
    if (this.mark[slot]! < pass) this.mark[slot] = pass;
  }

  /** A pass that began at `pass` saw every node of the table: a slot none has visited since is a node gone. */
  sweep(pass: number): void {
    for (let slot = 0; slot < this.slots; slot += 1)
      if (this.owner[slot] !== undefined && this.mark[slot]! < pass) {
        this.slotOf.delete(this.owner[slot]!);
        this.release(slot);
        this.owner[slot] = undefined;
        this.thresholds[slot] = undefined;
        this.agent[slot] = undefined;
        this.free.push(slot);
      }
    this.compactIfDue();
  }

  /** A new record for the node, its slot marked visited by `pass`. */
  rebuild(node: NodeState, thresholds: Thresholds, pass: number): number {
    let slot = this.slotOf.get(node);
    if (slot === undefined || this.owner[slot] !== node) {
      slot = this.free.pop() ?? this.slots++;
      if (slot === this.slab.length) this.grow();
      this.slotOf.set(node, slot);
      this.owner[slot] = node;
      this.mark[slot] = 0;
    } else this.release(slot);
    const { text, offsets, order } = nodeText(node);
    const textBytes = offsets[offsets.length - 1]!;
    const bytes = align4(textBytes) + 4 * (offsets.length + order.length);
    const at = this.room(bytes);
    const slab = this.slabs[this.slabs.length - 1]!;
    slab.write(text, at);
    const view = this.views[this.views.length - 1]!;
    let w = at + align4(textBytes);
    this.words[slot] = w;
    for (const o of offsets) {
      view.setUint32(w, o, true);
      w += 4;
    }
    for (const o of order) {
      view.setUint32(w, o, true);
      w += 4;
    }
    this.slab[slot] = this.slabs.length - 1;
    this.start[slot] = at;
    this.length[slot] = bytes;
    this.live += bytes;
    this.thresholds[slot] = thresholds;
    this.generation[slot] = thresholds.generation;
    this.seriesCount[slot] = node.series.size;
    this.agent[slot] = node.agent;
    this.build[slot] = ++this.builds;
    this.visit(slot, pass);
    return slot;
  }

  /** Bytes the slabs hold, used or not (tests: bounded relative to the live ones). */
  get slabBytes(): number {
    let total = 0;
    for (const s of this.slabs) total += s.length;
    return total;
  }

  /** The slot's record is dead (the node rebuilt or gone). */
  private release(slot: number): void {
    this.live -= this.length[slot]!;
    this.dead += this.length[slot]!;
    this.length[slot] = 0;
  }

  /** Where `bytes` of a new record go in the last slab (a fresh one if they do not fit). */
  private room(bytes: number): number {
    const last = this.slabs[this.slabs.length - 1];
    if (last === undefined || bytes > last.length - this.used) {
      this.compactIfDue();
      const now = this.slabs[this.slabs.length - 1];
      if (now === undefined || bytes > now.length - this.used) {
        const size = Math.max(bytes, Math.min(SLAB_BYTES, Math.max(FIRST_SLAB_BYTES, 2 * (now?.length ?? 0))));
        this.openSlab(size);
      }
    }
    const at = this.used;
    this.used += bytes;
    return at;
  }

  private openSlab(size: number): void {
    const slab = Buffer.allocUnsafeSlow(size);
    this.slabs.push(slab);
    this.views.push(new DataView(slab.buffer, slab.byteOffset, slab.length));
    this.used = 0;
  }

  /**
   * Once dead records outweigh the live ones (and a slab), the live ones are copied into fresh slabs
   * (new arrays of them: a scrape in flight holds views of the old ones, which go with it).
   */
  private compactIfDue(): void {
    if (this.dead <= Math.max(this.live, SLAB_BYTES)) return;
    const from = this.slabs;
    this.slabs = [];
    this.views = [];
    this.used = 0;
    this.dead = 0;
    let room = 0;
    for (let slot = 0; slot < this.slots; slot += 1) {
      const bytes = this.length[slot]!;
      if (this.owner[slot] === undefined || bytes === 0) continue;
      if (bytes > room) {
        this.openSlab(Math.max(bytes, Math.min(SLAB_BYTES, align4(this.live))));
        room = this.slabs[this.slabs.length - 1]!.length;
      }
      const at = this.used;
      from[this.slab[slot]!]!.copy(
        this.slabs[this.slabs.length - 1]!,
        at,
        this.start[slot]!,
        this.start[slot]! + bytes,
      );
      this.words[slot] = this.words[slot]! - this.start[slot]! + at;
      this.start[slot] = at;
      this.slab[slot] = this.slabs.length - 1;
      this.used += bytes;
      room -= bytes;
    }
  }

  private grow(): void {
    const size = Math.max(64, this.slab.length * 2);
    const to = <T extends Int32Array | Float64Array>(from: T, fresh: T): T => {
      fresh.set(from);
      return fresh;
    };
    this.slab = to(this.slab, new Int32Array(size));
    this.start = to(this.start, new Int32Array(size));
    this.length = to(this.length, new Int32Array(size));
    this.words = to(this.words, new Int32Array(size));
    this.seriesCount = to(this.seriesCount, new Int32Array(size));
    this.generation = to(this.generation, new Float64Array(size));
    this.build = to(this.build, new Float64Array(size));
    this.mark = to(this.mark, new Float64Array(size));
  }
}

/** The table's node texts (one per table: a pass over it sweeps the nodes it no longer has). */
const tableTexts = new WeakMap<NodeTable, NodeTexts>();

function textsOf(table: NodeTable): NodeTexts {
  let texts = tableTexts.get(table);
  if (texts === undefined) {
    texts = new NodeTexts();
    tableTexts.set(table, texts);
  }
  return texts;
}

/** Bytes of a table's node texts: in its slabs, in live records, in dead ones (tests: the slabs stay bounded). */
export function nodeTextBytes(table: NodeTable): {
  readonly slabs: number;
  readonly live: number;
  readonly dead: number;
} {
  const texts = textsOf(table);
  return { slabs: texts.slabBytes, live: texts.live, dead: texts.dead };
}

/**
 * The node's obsmon_threshold lines: the levels of the metrics it reports (all of them while it never
 * reported), so a node without a temperature sensor carries no temperature levels. They follow from
 * what its record was built from (thresholds, series), so a constant text's key still names them.
 */
/** The node's label, as every one of its lines starts. */
const nodeLabel = (node: NodeState) => `node="${escapeLabelValue(node.name)}"`;

function levelLines(node: NodeState, thresholds: Thresholds, allMetrics: () => readonly string[]): string {
  const n = nodeLabel(node);
  const keys = node.series.size === 0 ? allMetrics() : new Set([...node.series.values()].map((s) => s.key));
  let levels = '';
  for (const key of keys) {
    const l = thresholds.levels(node.name, node.group, key);
    if (l === undefined) continue;
    levels += `obsmon_threshold{${n},metric="${key}",severity="warning"} ${l.warning}\nobsmon_threshold{${n},metric="${key}",severity="error"} ${l.error}\n`;
  }
  return levels;
}

/**
 * A node's constant text (one string), its pieces' offsets in UTF-8 bytes (FIXED_OFFSETS + series),
 * and per series in exposition order its arrival index × 256 + its value family.
 */
function nodeText(node: NodeState): { text: string; offsets: number[]; order: number[] } {
  const n = nodeLabel(node);
  // A stable sort: within a family, the order the node sent them.
  const sorted = [...node.series.values()]
    .map((s, arrival) => ({ s, arrival, f: FAMILY_INDEX.get(metricOf(s.key, s.qualifier))! }))
    .sort((a, b) => a.f - b.f);
  const pieces = [
    `obsmon_node_up{${n}} 0\n`,
    `obsmon_node_up{${n}} 1\n`,
    `obsmon_node_maintenance{${n}} 0\n`,
    `obsmon_node_maintenance{${n}} 1\n`,
    `obsmon_node_last_report_timestamp_seconds{${n}} `,
    `obsmon_node_clock_skew_seconds{${n}} `,
    `obsmon_node_info{${n},group="${escapeLabelValue(node.group)}",critical="${node.critical}",inventory="${node.inInventory}"} 1\n`,
    node.agent === undefined ? '' : `obsmon_node_agent_info{${n},agent="${escapeLabelValue(node.agent)}"} 1\n`,
    ...sorted.map(({ s }) => `${seriesHead(n, s.key, s.qualifier)} `),
  ];
  const offsets = [0];
  for (const piece of pieces) offsets.push(offsets[offsets.length - 1]! + Buffer.byteLength(piece));
  return { text: pieces.join(''), offsets, order: sorted.map((x) => x.arrival * 256 + x.f) };
}

/**
 * Builds between two chances to pause: a build costs ~30 µs (its strings, sort and record), so NODES_PER_CHECK of them (~15 ms) would hold the loop far longer than a slice.
 */
const BUILDS_PER_CHECK = 32;

/**
 * Builds the cache of every node of the table that has none or a stale one, pausing (a yield) every
 * BUILDS_PER_CHECK builds or NODES_PER_CHECK nodes: the bridge runs it in short slices once nodes
 * appeared (bridge.ts), so the first scrape after a start copies caches instead of building all of them.
 */
export function* buildNodeCaches(table: NodeTable, thresholds: Thresholds): Generator<void, void, unknown> {
  const texts = textsOf(table);
  const pass = texts.beginPass();
  let builds = 0;
  let visited = 0;
  for (const node of [...table.nodes()]) {
    const slot = texts.current(node, thresholds);
    if (slot >= 0) texts.visit(slot, pass);
    else {
      texts.rebuild(node, thresholds, pass);
      builds += 1;
    }
    if (builds === BUILDS_PER_CHECK || ++visited === NODES_PER_CHECK) {
      builds = 0;
      visited = 0;
      yield;
    }
  }
  texts.sweep(pass);
}

/** Longest stretch of building caches ahead of a scrape between two turns of the event loop. */
const WARM_SLICE_MS = 2;

/**
 * Keeps the nodes' caches built ahead of the scrapes: `poke()` (the bridge's tick, once a second)
 * starts a pass of buildNodeCaches when nodes entered or left the table or the thresholds changed
 * since the last pass, run in slices of WARM_SLICE_MS with a turn of the event loop between them.
 * After a start the nodes appear over the first interval and a pass each second builds the new ones
 * (~30 µs each: about 2.5 s of CPU at 50 000 nodes, which the first scrape used to pay), so the
 * first scrape renders from built caches. A series or agent that changes later is rebuilt by the next scrape.
 */
export class NodeCacheWarmer {
  private tableGeneration = -1;
  private thresholds: Thresholds | undefined;
  private thresholdsGeneration = -1;
  private running = false;
  private stopped = false;

  constructor(
    private readonly table: NodeTable,
    private readonly currentThresholds: () => Thresholds,
    private readonly sliceMs: number = WARM_SLICE_MS,
  ) {}

  poke(): void {
    const thresholds = this.currentThresholds();
    if (
      this.running ||
      this.stopped ||
      (this.table.generation === this.tableGeneration &&
        thresholds === this.thresholds &&
        thresholds.generation === this.thresholdsGeneration)
    )
      return;
    this.tableGeneration = this.table.generation;
    this.thresholds = thresholds;
    this.thresholdsGeneration = thresholds.generation;
    this.running = true;
    const pass = buildNodeCaches(this.table, thresholds);
    const slice = () => {
      const end = performance.now() + this.sliceMs;
      while (!this.stopped) {
        if (pass.next().done === true) {
          this.running = false;
          return;
        }
        if (performance.now() >= end) {
          setImmediate(slice);
          return;
        }
      }
      this.running = false;
    };
    slice();
  }

  stop(): void {
    this.stopped = true;
  }
}

/** Bytes of a chunk: large enough that writes are few, small enough to slice the work. */
const CHUNK_BYTES = 64 * 1024;
/** Nodes visited between two chances to pause, whether or not they produced text. */
const NODES_PER_CHECK = 512;
/** Longest text of a number (`-1.2345678901234567e-308`) and its newline. */
const NUMBER_ROOM = 32;
/** Shorter pieces are copied byte by byte: cheaper than a call into the runtime's copy. */
const SHORT_COPY = 64;
const NEWLINE = 10;
/** 10^d: the digit count of an integer below 10^15 by comparisons, not divisions. */
const TEN_TO = Array.from({ length: 16 }, (_, d) => 10 ** d);

/**
 * Chunks handed back by the consumer once written (recycleChunk), reused by the next ones: a scrape of 10 000
 * nodes fills ~14 MB of chunks, and fresh memory for each one is an allocation outside the heap that V8 counts
 * towards its next collection (measured: half the scavenges in a loop of 50 000-node renders). At most this many
 * are kept between scrapes (4 MB).
 */
const SPARE_CHUNKS = 64;
const spare: Buffer[] = [];
/** Chunk memory handed out and not yet back (only that is ever reused, once: a long piece passed on is the node's). */
const lent = new WeakSet<ArrayBufferLike>();

function freshChunk(): Buffer {
  const chunk = spare.pop() ?? Buffer.allocUnsafeSlow(CHUNK_BYTES);
  lent.add(chunk.buffer);
  return chunk;
}

/**
 * A chunk of nodeExpositionChunks the consumer no longer reads (its write callback ran): its memory may be
 * reused by the next chunk. Anything else is ignored.
 */
export function recycleChunk(chunk: Uint8Array): void {
  if (lent.delete(chunk.buffer) && spare.length < SPARE_CHUNKS) spare.push(Buffer.from(chunk.buffer, 0, CHUNK_BYTES));
}

const wordsOf = (chunk: Buffer) => new DataView(chunk.buffer, chunk.byteOffset, chunk.length);

/**
 * Bytes copied straight into fixed-size buffers: no string is built per line, and the socket gets bytes
 * (a 13 MB string would be flattened, then encoded again by `res.send`).
 */
class ChunkWriter {
  private buffer = freshChunk();
  private words = wordsOf(this.buffer);
  private used = 0;
  private visited = 0;
  /** Chunks filled since the last take(); a piece too long for one chunk is passed on as it is. */
  private readonly full: Buffer[] = [];

  /** `from[start]` up to `from[end]`; `from` is never changed afterwards (it may be passed on uncopied). */
  copy(from: Buffer, start: number, end: number): void {
    const length = end - start;
    if (length > CHUNK_BYTES - this.used) {
      this.seal();
      if (length > CHUNK_BYTES) {
        this.full.push(from.subarray(start, end));
        return;
      }
    }
    const to = this.buffer;
    let used = this.used;
    if (length < SHORT_COPY) for (let k = start; k < end; k += 1) to[used++] = from[k]!;
    else used += from.copy(to, used, start, end);
    this.used = used;
  }

  /**
   * `from`'s bytes `start` up to `end` (a node's piece, never changed afterwards) a 4-byte word at a time:
   * a scrape's lines are mostly such pieces of 30–70 bytes, and copied byte by byte they were the renderer's
   * hottest loop (a call into the runtime's copy costs more at this length). Native byte order both ways.
   */
  piece(from: DataView, start: number, end: number): void {
    const length = end - start;
    if (length > CHUNK_BYTES - this.used) {
      this.seal();
      if (length > CHUNK_BYTES) {
        this.full.push(Buffer.from(from.buffer, from.byteOffset + start, length));
        return;
      }
    }
    const to = this.words;
    let used = this.used;
    let k = start;
    for (const last = end - 4; k <= last; k += 4, used += 4) to.setUint32(used, from.getUint32(k, true), true);
    for (; k < end; k += 1, used += 1) to.setUint8(used, from.getUint8(k));
    this.used = used;
  }

  all(from: Buffer): void {
    this.copy(from, 0, from.length);
  }

  /** `text` as UTF-8. */
  text(text: string): void {
    const length = Buffer.byteLength(text);
    if (length > CHUNK_BYTES - this.used) {
      this.seal();
      if (length > CHUNK_BYTES) {
        this.full.push(Buffer.from(text));
        return;
      }
    }
    this.used += this.buffer.write(text, this.used);
  }

  /** `value` as JavaScript writes it (`${value}`), then a newline. */
  numberLine(value: number): void {
    if (NUMBER_ROOM > CHUNK_BYTES - this.used) this.seal();
    const to = this.buffer;
    let used = this.used;
    const fraction = fractionDigits(value);
    if (fraction < 0) {
      const text = `${value}`;
      for (let k = 0; k < text.length; k += 1) to[used++] = text.charCodeAt(k);
    } else {
      // The digits of m = |value|·10^fraction, a point before the last `fraction` of them (and a 0 before
      // the point if m has no more digits than that). m < 10^15 (fractionDigits), so at most 15 digits.
      let m = Math.round(value * POWERS_OF_TEN[fraction]!);
      if (m < 0) {
        to[used++] = 45;
        m = -m;
      }
      let digits = 1;
      while (digits < 15 && m >= TEN_TO[digits]!) digits += 1;
      const whole = digits > fraction ? digits - fraction : 1;
      const start = used;
      used += fraction === 0 ? whole : whole + 1 + fraction;
      let k = used - 1;
      // Right to left: the fraction's digits (0 once m has none left), the point, the whole part. Most
      // values' m fits 31 bits, whose division by 10 the JIT makes a multiplication.
      if (m <= 0x7fffffff) {
        let n = m | 0;
        for (let f = 0; f < fraction; f += 1) {
          const q = (n / 10) | 0;
          to[k--] = 48 + n - q * 10;
          n = q;
        }
        if (fraction > 0) to[k--] = 46;
        for (; k >= start; k -= 1) {
          const q = (n / 10) | 0;
          to[k] = 48 + n - q * 10;
          n = q;
        }
      } else {
        for (let f = 0; f < fraction; f += 1) {
          const q = Math.floor(m / 10);
          to[k--] = 48 + m - q * 10;
          m = q;
        }
        if (fraction > 0) to[k--] = 46;
        for (; k >= start; k -= 1) {
          const q = Math.floor(m / 10);
          to[k] = 48 + m - q * 10;
          m = q;
        }
      }
    }
    to[used++] = NEWLINE;
    this.used = used;
  }

  /** After each node: whether to hand chunks on now (one is full, or a pause point is due). */
  ready(): boolean {
    return this.full.length > 0 || ++this.visited % NODES_PER_CHECK === 0;
  }

  /** The filled chunks (maybe none: then it is a pause point only). */
  take(): Buffer[] {
    return this.full.splice(0);
  }

  /** The filled chunks and the one being filled: what follows starts a chunk of its own. */
  cut(): Buffer[] {
    this.seal();
    return this.take();
  }

  end(): Buffer[] {
    this.seal();
    if (this.used === 0) recycleChunk(this.buffer);
    return this.take();
  }

  private seal(): void {
    if (this.used === 0) return;
    this.full.push(this.buffer.subarray(0, this.used));
    this.buffer = freshChunk();
    this.words = wordsOf(this.buffer);
    this.used = 0;
  }
}

/**
 * The constant families (obsmon_node_info, obsmon_node_agent_info, obsmon_threshold: over half the bytes
 * of a scrape) are the same bytes for as long as every node keeps its cache: a node added, removed or
 * replaced (an inventory reload makes new nodes), a new series or agent, a thresholds reload each give
 * some node a new one. Their key is one object for as long as that text is unchanged, a new one after.
 */
interface ConstantText {
  /** The build (NodeTexts.build) of each node's text, in node order. */
  readonly builds: Float64Array;
  readonly key: object;
}
const constantTexts = new WeakMap<NodeTable, ConstantText>();

function constantTextKey(table: NodeTable, builds: Float64Array, nodes: number): object {
  const last = constantTexts.get(table);
  if (last !== undefined && last.builds.length === nodes) {
    let same = true;
    for (let i = 0; i < nodes && same; i += 1) same = last.builds[i] === builds[i];
    if (same) return last.key;
  }
  const key = {};
  constantTexts.set(table, { builds: builds.slice(0, nodes), key });
  return key;
}

/** Where the constant text starts or ends in nodeExpositionChunks, and which text it is (same key, same bytes). */
export interface ConstantTextMark {
  readonly edge: 'start' | 'end';
  readonly key: object;
}

/** Answer to a start mark (`next(SKIP_CONSTANT_TEXT)`): the renderer goes on after the constant text. */
export const SKIP_CONSTANT_TEXT = true;

// Marks are empty chunk lists, so a consumer that ignores them writes the same text.
const marks = new WeakMap<readonly Buffer[], ConstantTextMark>();

function mark(edge: 'start' | 'end', key: object): Buffer[] {
  const empty: Buffer[] = [];
  marks.set(empty, { edge, key });
  return empty;
}
const startMark = (key: object) => mark('start', key);
const endMark = (key: object) => mark('end', key);

/** The mark `ready` is, if it is one. */
export function constantTextMark(ready: readonly Buffer[]): ConstantTextMark | undefined {
  return ready.length === 0 ? marks.get(ready) : undefined;
}

/** Offsets of a node's fixed pieces (P_UP_0 … the end of P_AGENT) that a Plan copies. */
const NODE_PIECE_OFFSETS = FIXED_OFFSETS;
/** Bits of Plan.flags. */
const IS_UP = 1;
const REPORTED = 2;
const IN_MAINTENANCE = 4;

/** The value lines of a scrape in node order: the head's bytes in the node's text, the value, its family. */
class LineList {
  length = 0;
  node: Int32Array;
  start: Int32Array;
  end: Int32Array;
  value: Float64Array;
  family: Uint8Array;

  constructor(capacity: number) {
    this.node = new Int32Array(capacity);
    this.start = new Int32Array(capacity);
    this.end = new Int32Array(capacity);
    this.value = new Float64Array(capacity);
    this.family = new Uint8Array(capacity);
  }

  push(node: number, start: number, end: number, value: number, family: number): void {
    if (this.length === this.node.length) this.grow();
    const l = this.length++;
    this.node[l] = node;
    this.start[l] = start;
    this.end[l] = end;
    this.value[l] = value;
    this.family[l] = family;
  }

  private grow(): void {
    const size = Math.max(1024, this.length * 2);
    const to = <T extends Int32Array | Float64Array | Uint8Array>(from: T, fresh: T): T => {
      fresh.set(from);
      return fresh;
    };
    this.node = to(this.node, new Int32Array(size));
    this.start = to(this.start, new Int32Array(size));
    this.end = to(this.end, new Int32Array(size));
    this.value = to(this.value, new Float64Array(size));
    this.family = to(this.family, new Uint8Array(size));
  }
}

/**
 * What one scrape reads of its nodes in its first pass, by node index: each node's text and the offsets
 * of its short pieces, whether it is up, reported, in maintenance, its two stamps, and its value lines.
 */
class Plan {
  /** The slab of each node's text (its bytes never change: a compaction copies them to new slabs). */
  readonly texts: DataView[] = [];
  readonly slabs: Buffer[] = [];
  /** Its offsets, absolute in the slab. */
  readonly pieceAt: Int32Array;
  /** The build of each node's text (the constant text's key). */
  readonly build: Float64Array;
  readonly flags: Uint8Array;
  readonly last: Float64Array;
  readonly skew: Float64Array;
  readonly lines: LineList;

  constructor(readonly nodes: number) {
    this.pieceAt = new Int32Array(nodes * NODE_PIECE_OFFSETS);
    this.build = new Float64Array(nodes);
    this.flags = new Uint8Array(nodes);
    this.last = new Float64Array(nodes);
    this.skew = new Float64Array(nodes);
    // Standard reports carry 7 series.
    this.lines = new LineList(nodes * 8);
  }
}

/**
 * The last scrape's plan, for the next one of as many nodes or fewer (its arrays are ~1.5 MB at 10 000
 * nodes: memory outside the heap that V8 counts towards its next collection, as chunks). Scrapes that
 * overlap make their own.
 */
let sparePlan: Plan | undefined;

function takePlan(nodes: number): Plan {
  const plan = sparePlan;
  if (plan === undefined || plan.nodes < nodes) return new Plan(nodes);
  sparePlan = undefined;
  return plan;
}

function givePlan(plan: Plan): void {
  // Not the nodes' texts: a node forgotten since goes with its text.
  plan.texts.length = 0;
  plan.slabs.length = 0;
  plan.lines.length = 0;
  if (sparePlan === undefined || sparePlan.nodes < plan.nodes) sparePlan = plan;
}

const UP_PIECE = (flags: number) => ((flags & IS_UP) !== 0 ? P_UP_1 : P_UP_0);
const MAINTENANCE_PIECE = (flags: number) => ((flags & IN_MAINTENANCE) !== 0 ? P_MAINTENANCE_1 : P_MAINTENANCE_0);
const AGENT_PIECE = () => P_AGENT;

/*
 * The families a scrape writes from its Plan after the first pass. They are module-level functions, not
 * closures made by each nodeExpositionChunks call: a generator made by a fresh closure has a map of its
 * own, so each scrape's `yield*` deoptimised nodeExpositionChunks ("wrong map", "wrong call target" for
 * the arrows) and V8 compiled it again, about 100 ms of its worker thread per 10 000-node scrape
 * (--trace-deopt; bench/, profiling notes).
 */

/** The piece `piece(flags)` of every node (none for -1): a family of constant lines. */
function* section(
  out: ChunkWriter,
  plan: Plan,
  nodes: number,
  head: Buffer,
  piece: (flags: number) => number,
): Generator<Buffer[], void, unknown> {
  const { texts: views, pieceAt, flags } = plan;
  out.all(head);
  for (let i = 0; i < nodes; i += 1) {
    const p = piece(flags[i]!);
    if (p >= 0) out.piece(views[i]!, pieceAt[i * NODE_PIECE_OFFSETS + p]!, pieceAt[i * NODE_PIECE_OFFSETS + p + 1]!);
    if (out.ready()) yield out.take();
  }
}

/** The long piece `p` of every node's text (info lines): the runtime's copy. */
function* whole(
  out: ChunkWriter,
  plan: Plan,
  nodes: number,
  head: Buffer,
  p: number,
): Generator<Buffer[], void, unknown> {
  const { slabs, pieceAt } = plan;
  out.all(head);
  for (let i = 0; i < nodes; i += 1) {
    out.copy(slabs[i]!, pieceAt[i * NODE_PIECE_OFFSETS + p]!, pieceAt[i * NODE_PIECE_OFFSETS + p + 1]!);
    if (out.ready()) yield out.take();
  }
}

/** The piece `p` of each node that reported, then its value. */
function* stamped(
  out: ChunkWriter,
  plan: Plan,
  nodes: number,
  head: Buffer,
  p: number,
  values: Float64Array,
): Generator<Buffer[], void, unknown> {
  const { texts: views, pieceAt, flags } = plan;
  out.all(head);
  for (let i = 0; i < nodes; i += 1) {
    if ((flags[i]! & REPORTED) !== 0) {
      out.piece(views[i]!, pieceAt[i * NODE_PIECE_OFFSETS + p]!, pieceAt[i * NODE_PIECE_OFFSETS + p + 1]!);
      out.numberLine(values[i]!);
    }
    if (out.ready()) yield out.take();
  }
}

/** Every node's threshold lines, formatted now: the one constant family not kept per node. */
function* levels(
  out: ChunkWriter,
  nodes: readonly NodeState[],
  thresholds: Thresholds,
  allMetrics: () => readonly string[],
): Generator<Buffer[], void, unknown> {
  out.all(THRESHOLD);
  for (const node of nodes) {
    out.text(levelLines(node, thresholds, allMetrics));
    if (out.ready()) yield out.take();
  }
}

/**
 * The per-node series in Prometheus text format, written straight from the live table, as chunks of
 * about 64 KB: a consumer may pause between two chunks (http.ts yields to the event loop), so a scrape
 * of 50 000 nodes never holds ingest for its whole length. prom-client gauges were measured here to need
 * seconds and hundreds of MB per scrape at 50 000 nodes (one object and one hashed label key per series,
 * rebuilt every scrape); this renderer keeps with each node, as bytes, what cannot change between scrapes
 * (label sets, info and threshold lines, its series sorted by family), so a scrape copies those and
 * formats only the values (bench/, "Rendering the node series").
 *
 * The nodes are those of the table when the scrape began, read once in a first pass (up, maintenance,
 * stamps, values: a Plan), then written one family at a time, each node at most once: the text stays
 * valid while ingest changes values between chunks (a value that changes after its node's turn in the
 * first pass shows in the next scrape). Chunks may be short (every few hundred nodes or lines, a pause
 * point) or empty.
 *
 * The constant families come in chunks of their own between two marks (constantTextMark): a consumer
 * that answers the start mark with `next(SKIP_CONSTANT_TEXT)` gets the chunks after them instead.
 *
 * Values of a down node, and series a node stopped sending, are left out: Prometheus marks them
 * stale and value alerts resolve, while `obsmon_node_up` says why. No agent timestamp is exposed
 * (Prometheus 2.42 would drop out-of-order samples and cannot track staleness of timestamped series).
 */
export function* nodeExpositionChunks(
  table: NodeTable,
  thresholds: Thresholds,
  nowMs: number,
  options: NodeExpositionOptions,
): Generator<Buffer[], void, boolean | undefined> {
  const nodes = [...table.nodes()];
  const count = table.size;
  let allMetrics: readonly string[] | undefined;
  const metrics = () => (allMetrics ??= thresholds.metrics());
  const out = new ChunkWriter();
  const { downAfterMs, maintenance: inMaintenance } = options;

  // One pass over the nodes reads all a scrape shows of them into a Plan; the families are then
  // written from it. Written family by family straight from the nodes (each node's objects visited
  // once per family, 10 000 nodes' worth of them far larger than the CPU's caches), a line cost ~2.5
  // times what it did at 500 nodes; from the plan's arrays, a line reads only its head's bytes.
  const plan = takePlan(nodes.length);
  try {
    const { texts: views, slabs, pieceAt, build, flags, last, skew, lines } = plan;
    const texts = textsOf(table);
    const pass = texts.beginPass();
    /** Families some node has a series in: the others are a header only. */
    const present = new Uint8Array(VALUE_FAMILIES.length);
    /** Lines per family, then (below) where each family's lines start in `order`. */
    const starts = new Int32Array(VALUE_FAMILIES.length + 1);
    let series = 0;
    let built = 0;
    for (let i = 0; i < nodes.length; i += 1) {
      const node = nodes[i]!;
      let slot = texts.current(node, thresholds);
      if (slot >= 0) texts.visit(slot, pass);
      else {
        slot = texts.rebuild(node, thresholds, pass);
        built += 1;
      }
      const view = texts.views[texts.slab[slot]!]!;
      views[i] = view;
      slabs[i] = texts.slabs[texts.slab[slot]!]!;
      build[i] = texts.build[slot]!;
      const base = texts.start[slot]!;
      const words = texts.words[slot]!;
      for (let p = 0; p < NODE_PIECE_OFFSETS; p += 1)
        pieceAt[i * NODE_PIECE_OFFSETS + p] = base + view.getUint32(words + 4 * p, true);
      const up = isUp(node, nowMs, downAfterMs);
      const reported = node.lastTimestamp !== undefined;
      flags[i] =
        (up ? IS_UP : 0) |
        (reported ? REPORTED : 0) |
        (inMaintenance?.(node.name, node.group, nowMs) == null ? 0 : IN_MAINTENANCE);
      if (reported) {
        last[i] = node.lastTimestamp!;
        skew[i] = node.clockSkewSeconds;
      }
      // Per series in exposition order: its head's end offset, then (after all of them) its arrival × 256 + family.
      const seriesCount = texts.seriesCount[slot]!;
      const heads = words + 4 * P_HEADS;
      const order = words + 4 * (FIXED_OFFSETS + seriesCount);
      for (let k = 0; k < seriesCount; k += 1) present[view.getUint32(order + 4 * k, true) & 255] = 1;
      // Values of a node that is up, of series it still sends.
      if (up && reported) {
        const list = node.series;
        for (let k = 0; k < seriesCount; k += 1) {
          const packed = view.getUint32(order + 4 * k, true);
          const s = list.at(packed >>> 8)!;
          if (nowMs - s.receivedAt > downAfterMs) continue;
          const f = packed & 255;
          const head = heads + 4 * k;
          lines.push(i, base + view.getUint32(head, true), base + view.getUint32(head + 4, true), s.value, f);
          starts[f + 1] = starts[f + 1]! + 1;
        }
      }
      series += node.series.size;
      // ready() counts the node: call it first. A pause every BUILDS_PER_CHECK builds, as buildNodeCaches.
      if (out.ready() || built >= BUILDS_PER_CHECK) {
        built = 0;
        yield out.take();
      }
    }
    texts.sweep(pass);
    // The lines in family order, in node order within a family (a stable counting sort).
    for (let f = 0; f < VALUE_FAMILIES.length; f += 1) starts[f + 1] = starts[f + 1]! + starts[f]!;
    const order = new Int32Array(lines.length);
    const next = starts.slice(0, VALUE_FAMILIES.length);
    for (let l = 0; l < lines.length; l += 1) {
      const f = lines.family[l]!;
      order[next[f]!] = l;
      next[f] = next[f]! + 1;
    }

    yield* section(out, plan, nodes.length, UP, UP_PIECE);
    yield* section(out, plan, nodes.length, MAINTENANCE, MAINTENANCE_PIECE);
    yield* stamped(out, plan, nodes.length, LAST_REPORT, P_LAST, last);
    yield* stamped(out, plan, nodes.length, CLOCK_SKEW, P_SKEW, skew);
    // The constant families in chunks of their own, between two marks: a consumer that keeps what it
    // made of them (http.ts keeps them deflated) answers the start mark with SKIP_CONSTANT_TEXT.
    yield out.cut();
    const key = constantTextKey(table, build, nodes.length);
    if ((yield startMark(key)) !== SKIP_CONSTANT_TEXT) {
      yield* whole(out, plan, nodes.length, INFO, P_INFO);
      yield* section(out, plan, nodes.length, AGENT_INFO, AGENT_PIECE);
      yield* levels(out, nodes, thresholds, metrics);
      yield out.cut();
      yield endMark(key);
    }

    const { node: lineNode, start, end, value } = lines;
    for (let f = 0; f < VALUE_FAMILIES.length; f += 1) {
      out.all(VALUE_FAMILIES[f]!);
      if (present[f] === 0) continue;
      for (let j = starts[f]!; j < starts[f + 1]!; j += 1) {
        const l = order[j]!;
        out.piece(views[lineNode[l]!]!, start[l]!, end[l]!);
        out.numberLine(value[l]!);
        if (out.ready()) yield out.take();
      }
    }
    out.all(
      Buffer.from(
        `# HELP obsmon_bridge_nodes Nodes in the live table (inventory and reporting)\n# TYPE obsmon_bridge_nodes gauge\nobsmon_bridge_nodes ${count}\n` +
          `# HELP obsmon_bridge_series Node series (key@qualifier) in the live table\n# TYPE obsmon_bridge_series gauge\nobsmon_bridge_series ${series}\n`,
      ),
    );
    yield out.end();
  } finally {
    givePlan(plan);
  }
}

/** The whole node part of /metrics as one string, in one pass (tests, the bench; http.ts streams the chunks). */
export function renderNodeExposition(
  table: NodeTable,
  thresholds: Thresholds,
  nowMs: number,
  options: NodeExpositionOptions,
): string {
  return Buffer.concat([...nodeExpositionChunks(table, thresholds, nowMs, options)].flat()).toString();
}
