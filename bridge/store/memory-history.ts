import { Gauge, type Registry } from 'prom-client';
import { appended } from '../../lib/exact-array.ts';
import type { AcceptedReport } from '../state/node-table.ts';
import { lineTimestamp } from './line-protocol.ts';
import {
  MAX_HISTORY_POINTS,
  type HistoryAnswer,
  type HistoryPoint,
  type HistoryQuery,
  type HistoryReader,
} from './history.ts';

/** Points kept per series: 24 h at a 10 s report interval (--history-points). */
export const DEFAULT_HISTORY_POINTS = 8640;
/** Points kept over all series, 12 bytes each (--history-max-points). */
export const DEFAULT_HISTORY_MAX_POINTS = 2_000_000;
/** Bytes one point takes in the pool: its time (Uint32, unix seconds) and its value (Float64). */
export const HISTORY_POINT_BYTES = 12;
/** A series with no new point for this long is removed, seconds. */
const IDLE_SECONDS = 86_400;
/**
 * Points per chunk: a series holds whole chunks, taken from and given back to one shared pool. Small,
 * because a series' first chunk is what every new series costs (96 bytes) and a chunk costs no object.
 */
const CHUNK_POINTS = 8;
const CHUNK_SHIFT = 3;
/** Chunks per slab: the pool grows by one slab of this many chunks (96 KiB) at a time. */
const SLAB_CHUNKS = 1024;
const SLAB_SHIFT = 10;
const SLAB_MASK = SLAB_CHUNKS - 1;
/** Bytes of one slab: its chunks' times and values, and their links. */
const SLAB_BYTES = SLAB_CHUNKS * CHUNK_POINTS * HISTORY_POINT_BYTES + SLAB_CHUNKS * Int32Array.BYTES_PER_ELEMENT;
/** No chunk (end of a series' chain, or of the free list). */
const NONE = -1;
/** `head` of a series the sweep removed (a live one's is 0 … CHUNK_POINTS - 1): no flag field of its own. */
const REMOVED = -1;

/**
 * Every point lives in a few large typed arrays cut into fixed chunks: times as Uint32 (whole unix
 * seconds, as the database keeps them, until 2106) and values as Float64 (custom keys keep full
 * precision, docs/protocol.md). A series' chunks are chained through `links` (the next chunk of the
 * same series), and free chunks through the same links, so a series owns no array of its own and
 * growing or dropping one moves no data.
 */
class ChunkPool {
  readonly times: Uint32Array[] = [];
  readonly values: Float64Array[] = [];
  private readonly links: Int32Array[] = [];
  private free = NONE;
  private next = 0;

  take(): number {
    let chunk = this.free;
    if (chunk !== NONE) this.free = this.link(chunk);
    else {
      chunk = this.next++;
      if (chunk >> SLAB_SHIFT === this.links.length) {
        this.times.push(new Uint32Array(SLAB_CHUNKS * CHUNK_POINTS));
        this.values.push(new Float64Array(SLAB_CHUNKS * CHUNK_POINTS));
        this.links.push(new Int32Array(SLAB_CHUNKS));
      }
    }
    this.setLink(chunk, NONE);
    return chunk;
  }

  /** Slabs allocated: the pool keeps them (a freed chunk is reused), so this is its high-water mark. */
  get slabs(): number {
    return this.links.length;
  }

  give(chunk: number): void {
    this.setLink(chunk, this.free);
    this.free = chunk;
  }

  link(chunk: number): number {
    return this.links[chunk >> SLAB_SHIFT]![chunk & SLAB_MASK]!;
  }

  setLink(chunk: number, next: number): void {
    this.links[chunk >> SLAB_SHIFT]![chunk & SLAB_MASK] = next;
  }
}

/**
 * One series: a chain of chunks, oldest first (`first` … `last`); points [head, head + size) of the
 * chain are held. Numbers only, besides its names: no array per series. Every field is a small
 * integer (a V8 Smi held in the object), none a double, which would take a 16-byte box of its own per
 * series; the number of chunks is no field (8 bytes a series) but follows from the points.
 */
class Series {
  first = NONE;
  last = NONE;
  head = 0;
  size = 0;
  /** Bridge clock of its last point, whole seconds (for the idle sweep only). */
  lastSecond = 0;
  constructor(
    readonly key: string,
    readonly qualifier: string | undefined,
  ) {}

  get removed(): boolean {
    return this.head === REMOVED;
  }

  /** Chunks in the chain: every chunk holds a point (push appends one only for the point it writes). */
  get chunks(): number {
    return (this.head + this.size + CHUNK_POINTS - 1) >> CHUNK_SHIFT;
  }
}

/**
 * History without a database: per node and series the newest `pointsPerSeries` points, and never
 * more than `maxPoints` over all series (a series that cannot get another chunk wraps early, i.e.
 * keeps a shorter history). Series silent for a day are removed. A report's values are found by
 * their table slot (AcceptedReport.series), resolved to a series once; by node and key only the
 * first time, or for reports without slots. A node's series are a short array, searched by key and
 * qualifier (at most --max-series-per-node, and only on a query or a series' first point): no Map
 * and no series id string per node.
 */
export class MemoryHistory implements HistoryReader {
  private readonly series = new Map<string, Series[]>();
  /**
   * This history's own subclass of Series: a table slot may hold another history's series (two
   * histories fed by one table), and the prototype tells them apart without an owner field per series.
   */
  private readonly Own = class extends Series {};
  private readonly pool = new ChunkPool();
  private allocated = 0;
  private lastSweep = 0;

  constructor(
    private readonly pointsPerSeries = DEFAULT_HISTORY_POINTS,
    private readonly maxPoints = DEFAULT_HISTORY_MAX_POINTS,
  ) {}

  /** Bytes of typed arrays the history holds: it grows a slab at a time up to `maxBytes` and keeps them. */
  get bytes(): number {
    return this.pool.slabs * SLAB_BYTES;
  }

  /** What `bytes` can reach: every chunk `maxPoints` allows, in whole slabs. */
  get maxBytes(): number {
    return Math.ceil(this.maxPoints / CHUNK_POINTS / SLAB_CHUNKS) * SLAB_BYTES;
  }

  /** Points held now (for tests and sizing). */
  get points(): number {
    let n = 0;
    for (const node of this.series.values()) for (const series of node) n += series.size;
    return n;
  }

  record(report: AcceptedReport): void {
    const t = lineTimestamp(report.timestamp);
    const samples = report.samples;
    const slots = report.series;
    const second = Math.floor(report.receivedAt / 1000);
    for (let k = 0; k < samples.length; k += 1) {
      const sample = samples[k]!;
      const slot = slots?.[k];
      let series = slot?.history as Series | undefined;
      if (series === undefined || series.removed || !(series instanceof this.Own)) {
        series = this.seriesOf(report.node, sample.key, sample.qualifier);
        if (slot !== undefined) slot.history = series;
      }
      if (this.push(series, t, sample.value)) series.lastSecond = second;
    }
    if (second - this.lastSweep > 60) this.sweep(second);
  }

  async query(q: HistoryQuery): Promise<HistoryAnswer> {
    const series = find(this.series.get(q.node), q.key, q.qualifier);
    if (series === undefined || series.size === 0) return { source: 'memory', points: [] };
    // Insertion order is not time order (replayed backlogs); a later write of the same second wins, as in the database.
    const byTime = new Map<number, number>();
    const { times, values } = this.pool;
    let chunk = series.first;
    for (let k = 0; k < series.size; k += 1) {
      const p = series.head + k;
      if (k > 0 && (p & (CHUNK_POINTS - 1)) === 0) chunk = this.pool.link(chunk);
      const at = ((chunk & SLAB_MASK) << CHUNK_SHIFT) + (p & (CHUNK_POINTS - 1));
      const time = times[chunk >> SLAB_SHIFT]![at]!;
      if (time >= q.from && time <= q.to) byTime.set(time, values[chunk >> SLAB_SHIFT]![at]!);
    }
    const points: HistoryPoint[] = [...byTime].sort((a, b) => a[0] - b[0]);
    return { source: 'memory', points: points.slice(-MAX_HISTORY_POINTS) };
  }

  /** The node's series of `key` and `qualifier`, made when it has none. */
  private seriesOf(name: string, key: string, qualifier: string | undefined): Series {
    const node = this.series.get(name);
    let series = find(node, key, qualifier);
    if (series === undefined) {
      series = new this.Own(key, qualifier);
      this.series.set(name, appended(node ?? [], series));
    }
    return series;
  }

  /** Append one point, dropping the series' oldest when it is full; false when no chunk is left for it. */
  private push(series: Series, t: number, v: number): boolean {
    if (series.size >= this.pointsPerSeries) this.dropOldest(series, 1);
    let p = series.head + series.size;
    // The last chunk is full (or there is none): the point needs a chunk of its own.
    if ((p & (CHUNK_POINTS - 1)) === 0) {
      if (this.allocated + CHUNK_POINTS <= this.maxPoints) {
        this.allocated += CHUNK_POINTS;
        this.append(series, this.pool.take());
      } else if (series.size > 0) {
        // The pool is spent: this series wraps early, reusing its own oldest chunk.
        const oldest = series.first;
        this.dropOldest(series, CHUNK_POINTS - series.head, false);
        this.append(series, oldest);
        p = series.head + series.size;
      } else return false;
    }
    const chunk = series.last;
    const at = ((chunk & SLAB_MASK) << CHUNK_SHIFT) + (p & (CHUNK_POINTS - 1));
    this.pool.times[chunk >> SLAB_SHIFT]![at] = t;
    this.pool.values[chunk >> SLAB_SHIFT]![at] = v;
    series.size += 1;
    return true;
  }

  private append(series: Series, chunk: number): void {
    this.pool.setLink(chunk, NONE);
    if (series.last === NONE) series.first = chunk;
    else this.pool.setLink(series.last, chunk);
    series.last = chunk;
  }

  /** Forget the `n` oldest points (at most to the end of the first chunk); a chunk emptied goes back to the pool unless `release` is false. */
  private dropOldest(series: Series, n: number, release = true): void {
    series.head += n;
    series.size -= n;
    if (series.head < CHUNK_POINTS) return;
    const chunk = series.first;
    series.first = this.pool.link(chunk);
    series.head -= CHUNK_POINTS;
    if (series.chunks === 0) series.last = NONE;
    if (release) {
      this.pool.give(chunk);
      this.allocated -= CHUNK_POINTS;
    }
  }

  private sweep(nowSecond: number): void {
    this.lastSweep = nowSecond;
    for (const [name, node] of this.series) {
      let kept = 0;
      for (const series of node) {
        if (nowSecond - series.lastSecond > IDLE_SECONDS) {
          for (let chunk = series.first, left = series.chunks; left > 0; left -= 1) {
            const next = this.pool.link(chunk);
            this.pool.give(chunk);
            chunk = next;
          }
          this.allocated -= series.chunks << CHUNK_SHIFT;
          series.head = REMOVED;
        } else node[kept++] = series;
      }
      node.length = kept;
      if (kept === 0) this.series.delete(name);
    }
  }
}

function find(node: readonly Series[] | undefined, key: string, qualifier: string | undefined): Series | undefined {
  if (node === undefined) return undefined;
  for (const series of node) if (series.key === key && series.qualifier === qualifier) return series;
  return undefined;
}

/** The in-memory history's size and its bound, on /metrics: a bridge without a database grows to it. */
export function registerMemoryHistoryMetrics(registry: Registry, history: MemoryHistory): void {
  new Gauge({
    name: 'obsmon_bridge_history_bytes',
    help: 'Bytes of the in-memory history (12 per point, grown a slab at a time and kept for reuse)',
    registers: [registry],
    collect() {
      this.set(history.bytes);
    },
  });
  new Gauge({
    name: 'obsmon_bridge_history_max_bytes',
    help: 'What obsmon_bridge_history_bytes can reach (--history-max-points)',
    registers: [registry],
    collect() {
      this.set(history.maxBytes);
    },
  });
}
