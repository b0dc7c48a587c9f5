import { escapeLabelValue, metricOf, NODE_METRICS, seriesHead } from '../../protocol/metric-names.ts';
import { isUp, type NodeState, type NodeTable, type SeriesState } from '../state/node-table.ts';
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
const P_LEVELS = 8;
/** Then one `metric{labels} ` per series, in `series` order. */
const P_HEADS = 9;

/**
 * Everything a node contributes to every scrape unchanged (label sets, up/maintenance lines both ways, info,
 * agent and threshold lines, the head of each series) as one buffer of UTF-8 bytes: a scrape copies pieces of it
 * and formats only the values. One buffer per node, not a string per line: 10 000 nodes hold ~11 MB of it.
 */
interface NodeCache {
  readonly thresholds: Thresholds;
  /** `thresholds.generation` when built: a SIGHUP reload changes the levels in place (Thresholds.replaceWith). */
  readonly generation: number;
  /** Series count when built: series are only ever added, so the key set changed iff this did. */
  readonly seriesCount: number;
  /** `node.agent` when built (the cache is rebuilt when it changes). */
  readonly agent: string | undefined;
  readonly text: Buffer;
  /** `text` as 4-byte words (ChunkWriter.piece): a node's short pieces copied a word at a time. */
  readonly words: DataView;
  /** Piece boundaries in `text` (see P_*): P_HEADS + series + 1 offsets. */
  readonly at: readonly number[];
  /** The node's series sorted by value family, in the order the node sent them within one. */
  readonly series: readonly SeriesState[];
  /** The family (index into VALUE_FAMILIES) of each of `series`: ascending. */
  readonly family: readonly number[];
  /** Views of the two long pieces (info and agent lines, threshold lines): copied whole, the runtime's fastest copy. */
  readonly info: Uint8Array;
  readonly levels: Uint8Array;
}

// Half the lines at 10 000 nodes are threshold levels that never change between scrapes: render them
// once per node, with every label set (WeakMap: it goes with the node). Value text is not kept: at a
// scrape interval equal to the report interval every value changed, and kept lines lived long enough
// to be promoted, so each scrape left old-generation garbage (seconds of mark-compact at 50 000 nodes).
const caches = new WeakMap<NodeState, NodeCache>();

/** The node's cache if it is still that of its series, agent and thresholds. */
function currentCache(node: NodeState, thresholds: Thresholds): NodeCache | undefined {
  const cached = caches.get(node);
  return cached !== undefined &&
    cached.thresholds === thresholds &&
    cached.generation === thresholds.generation &&
    cached.seriesCount === node.series.size &&
    cached.agent === node.agent
    ? cached
    : undefined;
}

function buildCache(node: NodeState, thresholds: Thresholds, allMetrics: () => readonly string[]): NodeCache {
  const n = `node="${escapeLabelValue(node.name)}"`;
  // Thresholds of the metrics the node reports (all of them while it never reported), so a
  // node without a temperature sensor does not carry temperature levels.
  const keys = node.series.size === 0 ? allMetrics() : new Set([...node.series.values()].map((s) => s.key));
  let levels = '';
  for (const key of keys) {
    const l = thresholds.levels(node.name, node.group, key);
    if (l === undefined) continue;
    levels += `obsmon_threshold{${n},metric="${key}",severity="warning"} ${l.warning}\nobsmon_threshold{${n},metric="${key}",severity="error"} ${l.error}\n`;
  }
  // A stable sort: within a family, the order the node sent them.
  const sorted = [...node.series.values()]
    .map((s) => ({ s, f: FAMILY_INDEX.get(metricOf(s.key, s.qualifier))! }))
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
    levels,
    ...sorted.map(({ s }) => `${seriesHead(n, s.key, s.qualifier)} `),
  ];
  const at = [0];
  for (const piece of pieces) at.push(at[at.length - 1]! + Buffer.byteLength(piece));
  const text = Buffer.from(pieces.join(''));
  const built: NodeCache = {
    thresholds,
    generation: thresholds.generation,
    seriesCount: node.series.size,
    agent: node.agent,
    text,
    words: new DataView(text.buffer, text.byteOffset, text.length),
    at,
    series: sorted.map((x) => x.s),
    family: sorted.map((x) => x.f),
    info: text.subarray(at[P_INFO], at[P_INFO + 1]),
    levels: text.subarray(at[P_LEVELS], at[P_LEVELS + 1]),
  };
  return built;
}

/** A new cache for the node, kept with it. */
function rebuild(node: NodeState, thresholds: Thresholds, allMetrics: () => readonly string[]): NodeCache {
  const built = buildCache(node, thresholds, allMetrics);
  caches.set(node, built);
  return built;
}

/**
 * Builds between two chances to pause: a build costs ~30 µs (its text, its buffer, and the collections
 * of what it keeps), so NODES_PER_CHECK of them (~15 ms) would hold the loop far longer than a slice.
 */
const BUILDS_PER_CHECK = 32;

/**
 * Builds the cache of every node of the table that has none or a stale one, pausing (a yield) every
 * BUILDS_PER_CHECK builds or NODES_PER_CHECK nodes: the bridge runs it in short slices once nodes
 * appeared (bridge.ts), so the first scrape after a start copies caches instead of building all of them.
 */
export function* buildNodeCaches(table: NodeTable, thresholds: Thresholds): Generator<void, void, unknown> {
  let allMetrics: readonly string[] | undefined;
  const metrics = () => (allMetrics ??= thresholds.metrics());
  let builds = 0;
  let visited = 0;
  for (const node of [...table.nodes()]) {
    if (currentCache(node, thresholds) === undefined) {
      rebuild(node, thresholds, metrics);
      builds += 1;
    }
    if (builds === BUILDS_PER_CHECK || ++visited === NODES_PER_CHECK) {
      builds = 0;
      visited = 0;
      yield;
    }
  }
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

  /** All of `from` (a view kept for this): `set` copies without making a view per call as `copy` does. */
  view(from: Uint8Array): void {
    const length = from.length;
    if (length > CHUNK_BYTES - this.used) {
      this.seal();
      if (length > CHUNK_BYTES) {
        this.full.push(Buffer.from(from.buffer, from.byteOffset, length));
        return;
      }
    }
    this.buffer.set(from, this.used);
    this.used += length;
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
  readonly caches: readonly NodeCache[];
  readonly key: object;
}
const constantTexts = new WeakMap<NodeTable, ConstantText>();

function constantTextKey(table: NodeTable, caches: readonly NodeCache[]): object {
  const last = constantTexts.get(table);
  if (last !== undefined && last.caches.length === caches.length && last.caches.every((c, i) => c === caches[i]))
    return last.key;
  const key = {};
  constantTexts.set(table, { caches, key });
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

/** Offsets of a node's pieces up to its agent line (P_UP_0 … P_AGENT) that a Plan copies. */
const NODE_PIECE_OFFSETS = P_LEVELS + 1;
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
  readonly texts: DataView[] = [];
  readonly pieceAt: Int32Array;
  readonly flags: Uint8Array;
  readonly last: Float64Array;
  readonly skew: Float64Array;
  readonly lines: LineList;

  constructor(readonly nodes: number) {
    this.pieceAt = new Int32Array(nodes * NODE_PIECE_OFFSETS);
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
  plan.lines.length = 0;
  if (sparePlan === undefined || sparePlan.nodes < plan.nodes) sparePlan = plan;
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
    const { texts, pieceAt, flags, last, skew, lines } = plan;
    const cache: NodeCache[] = [];
    /** Families some node has a series in: the others are a header only. */
    const present = new Uint8Array(VALUE_FAMILIES.length);
    /** Lines per family, then (below) where each family's lines start in `order`. */
    const starts = new Int32Array(VALUE_FAMILIES.length + 1);
    let series = 0;
    let built = 0;
    for (let i = 0; i < nodes.length; i += 1) {
      const node = nodes[i]!;
      let c = currentCache(node, thresholds);
      if (c === undefined) {
        c = rebuild(node, thresholds, metrics);
        built += 1;
      }
      cache.push(c);
      texts[i] = c.words;
      const at = c.at;
      for (let p = 0; p < NODE_PIECE_OFFSETS; p += 1) pieceAt[i * NODE_PIECE_OFFSETS + p] = at[p]!;
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
      const family = c.family;
      for (const f of family) present[f] = 1;
      // Values of a node that is up, of series it still sends.
      if (up && reported) {
        const list = c.series;
        for (let k = 0; k < list.length; k += 1) {
          const s = list[k]!;
          if (nowMs - s.receivedAt > downAfterMs) continue;
          const f = family[k]!;
          lines.push(i, at[P_HEADS + k]!, at[P_HEADS + k + 1]!, s.value, f);
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
    // The lines in family order, in node order within a family (a stable counting sort).
    for (let f = 0; f < VALUE_FAMILIES.length; f += 1) starts[f + 1] = starts[f + 1]! + starts[f]!;
    const order = new Int32Array(lines.length);
    const next = starts.slice(0, VALUE_FAMILIES.length);
    for (let l = 0; l < lines.length; l += 1) {
      const f = lines.family[l]!;
      order[next[f]!] = l;
      next[f] = next[f]! + 1;
    }

    /** The piece `piece(i)` of every node (none for -1): a family of constant lines. */
    function* section(head: Buffer, piece: (flags: number) => number): Generator<Buffer[], void, unknown> {
      out.all(head);
      for (let i = 0; i < nodes.length; i += 1) {
        const p = piece(flags[i]!);
        if (p >= 0)
          out.piece(texts[i]!, pieceAt[i * NODE_PIECE_OFFSETS + p]!, pieceAt[i * NODE_PIECE_OFFSETS + p + 1]!);
        if (out.ready()) yield out.take();
      }
    }
    /** A long piece of every node's text, of which the cache keeps a view. */
    function* whole(head: Buffer, view: (c: NodeCache) => Uint8Array): Generator<Buffer[], void, unknown> {
      out.all(head);
      for (let i = 0; i < nodes.length; i += 1) {
        out.view(view(cache[i]!));
        if (out.ready()) yield out.take();
      }
    }
    /** The piece `p` of each node that reported, then its value. */
    function* stamped(head: Buffer, p: number, values: Float64Array): Generator<Buffer[], void, unknown> {
      out.all(head);
      for (let i = 0; i < nodes.length; i += 1) {
        if ((flags[i]! & REPORTED) !== 0) {
          out.piece(texts[i]!, pieceAt[i * NODE_PIECE_OFFSETS + p]!, pieceAt[i * NODE_PIECE_OFFSETS + p + 1]!);
          out.numberLine(values[i]!);
        }
        if (out.ready()) yield out.take();
      }
    }

    yield* section(UP, (f) => ((f & IS_UP) !== 0 ? P_UP_1 : P_UP_0));
    yield* section(MAINTENANCE, (f) => ((f & IN_MAINTENANCE) !== 0 ? P_MAINTENANCE_1 : P_MAINTENANCE_0));
    yield* stamped(LAST_REPORT, P_LAST, last);
    yield* stamped(CLOCK_SKEW, P_SKEW, skew);
    // The constant families in chunks of their own, between two marks: a consumer that keeps what it
    // made of them (http.ts keeps them deflated) answers the start mark with SKIP_CONSTANT_TEXT.
    yield out.cut();
    const key = constantTextKey(table, cache);
    if ((yield startMark(key)) !== SKIP_CONSTANT_TEXT) {
      yield* whole(INFO, (c) => c.info);
      yield* section(AGENT_INFO, () => P_AGENT);
      yield* whole(THRESHOLD, (c) => c.levels);
      yield out.cut();
      yield endMark(key);
    }

    const { node: lineNode, start, end, value } = lines;
    for (let f = 0; f < VALUE_FAMILIES.length; f += 1) {
      out.all(VALUE_FAMILIES[f]!);
      if (present[f] === 0) continue;
      for (let j = starts[f]!; j < starts[f + 1]!; j += 1) {
        const l = order[j]!;
        out.piece(texts[lineNode[l]!]!, start[l]!, end[l]!);
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
