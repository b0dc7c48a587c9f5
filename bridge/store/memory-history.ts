import type { AcceptedReport } from '../state/node-table.ts';
import { seriesId } from '../../protocol/series-id.ts';
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
/** Points kept over all series, about 16 bytes each (--history-max-points). */
export const DEFAULT_HISTORY_MAX_POINTS = 2_000_000;
/** A series with no new point for this long is removed, ms. */
const IDLE_MS = 86_400_000;
/** Points per chunk: a series holds whole chunks, taken from and given back to one shared pool. */
const CHUNK_POINTS = 16;
/** Chunks per slab: the pool grows by one Float64Array of this many chunks (256 KiB) at a time. */
const SLAB_CHUNKS = 1024;
const SLAB_SHIFT = 10;

/**
 * Every point's (time, value) lives in a few large Float64Arrays cut into fixed chunks, so a series
 * costs no typed array of its own and growing or dropping one moves no data: the pool hands out and
 * takes back chunk numbers.
 */
class ChunkPool {
  readonly slabs: Float64Array[] = [];
  private readonly free: number[] = [];
  private next = 0;

  take(): number {
    const free = this.free.pop();
    if (free !== undefined) return free;
    if (this.next >> SLAB_SHIFT === this.slabs.length)
      this.slabs.push(new Float64Array(SLAB_CHUNKS * CHUNK_POINTS * 2));
    return this.next++;
  }

  give(chunk: number): void {
    this.free.push(chunk);
  }
}

/** One series: its chunks in time of arrival, oldest first; points [head, head + size) of them are held. */
class Series {
  constructor(readonly owner: MemoryHistory) {}
  readonly chunks: number[] = [];
  head = 0;
  size = 0;
  lastReceivedAt = 0;
  removed = false;
}

/**
 * History without a database: per node and series the newest `pointsPerSeries` points, and never
 * more than `maxPoints` over all series (a series that cannot get another chunk wraps early, i.e.
 * keeps a shorter history). Series silent for a day are removed. A report's values are found by
 * their table slot (AcceptedReport.series), resolved to a series once; the node and series id only
 * the first time, or for reports without slots.
 */
export class MemoryHistory implements HistoryReader {
  private readonly series = new Map<string, Map<string, Series>>();
  private readonly pool = new ChunkPool();
  private allocated = 0;
  private lastSweep = 0;

  constructor(
    private readonly pointsPerSeries = DEFAULT_HISTORY_POINTS,
    private readonly maxPoints = DEFAULT_HISTORY_MAX_POINTS,
  ) {}

  /** Points held now (for tests and sizing). */
  get points(): number {
    let n = 0;
    for (const node of this.series.values()) for (const series of node.values()) n += series.size;
    return n;
  }

  record(report: AcceptedReport): void {
    const t = lineTimestamp(report.timestamp);
    const samples = report.samples;
    const slots = report.series;
    let node: Map<string, Series> | undefined;
    for (let k = 0; k < samples.length; k += 1) {
      const sample = samples[k]!;
      const slot = slots?.[k];
      let series = slot?.history as Series | undefined;
      if (series === undefined || series.removed || series.owner !== this) {
        node ??= this.nodeSeries(report.node);
        const id = seriesId(sample.key, sample.qualifier);
        series = node.get(id);
        if (series === undefined) {
          series = new Series(this);
          node.set(id, series);
        }
        if (slot !== undefined) slot.history = series;
      }
      if (this.push(series, t, sample.value)) series.lastReceivedAt = report.receivedAt;
    }
    if (report.receivedAt - this.lastSweep > 60_000) this.sweep(report.receivedAt);
  }

  async query(q: HistoryQuery): Promise<HistoryAnswer> {
    const series = this.series.get(q.node)?.get(seriesId(q.key, q.qualifier));
    if (series === undefined || series.size === 0) return { source: 'memory', points: [] };
    // Insertion order is not time order (replayed backlogs); a later write of the same second wins, as in the database.
    const byTime = new Map<number, number>();
    const slabs = this.pool.slabs;
    for (let k = 0; k < series.size; k += 1) {
      const p = series.head + k;
      const chunk = series.chunks[Math.floor(p / CHUNK_POINTS)]!;
      const slab = slabs[chunk >> SLAB_SHIFT]!;
      const at = ((chunk & (SLAB_CHUNKS - 1)) * CHUNK_POINTS + (p % CHUNK_POINTS)) * 2;
      const time = slab[at]!;
      if (time >= q.from && time <= q.to) byTime.set(time, slab[at + 1]!);
    }
    const points: HistoryPoint[] = [...byTime].sort((a, b) => a[0] - b[0]);
    return { source: 'memory', points: points.slice(-MAX_HISTORY_POINTS) };
  }

  private nodeSeries(name: string): Map<string, Series> {
    let node = this.series.get(name);
    if (node === undefined) {
      node = new Map();
      this.series.set(name, node);
    }
    return node;
  }

  /** Append one point, dropping the series' oldest when it is full; false when no chunk is left for it. */
  private push(series: Series, t: number, v: number): boolean {
    if (series.size >= this.pointsPerSeries) this.dropOldest(series, 1);
    let p = series.head + series.size;
    if (p === series.chunks.length * CHUNK_POINTS) {
      if (this.allocated + CHUNK_POINTS <= this.maxPoints) {
        this.allocated += CHUNK_POINTS;
        series.chunks.push(this.pool.take());
      } else if (series.chunks.length > 0) {
        // The pool is spent: this series wraps early, reusing its own oldest chunk.
        const oldest = series.chunks[0]!;
        this.dropOldest(series, CHUNK_POINTS - series.head, false);
        series.chunks.push(oldest);
        p = series.head + series.size;
      } else return false;
    }
    const chunk = series.chunks[Math.floor(p / CHUNK_POINTS)]!;
    const slab = this.pool.slabs[chunk >> SLAB_SHIFT]!;
    const at = ((chunk & (SLAB_CHUNKS - 1)) * CHUNK_POINTS + (p % CHUNK_POINTS)) * 2;
    slab[at] = t;
    slab[at + 1] = v;
    series.size += 1;
    return true;
  }

  /** Forget the `n` oldest points (at most to the end of the first chunk); a chunk emptied goes back to the pool unless `release` is false. */
  private dropOldest(series: Series, n: number, release = true): void {
    series.head += n;
    series.size -= n;
    if (series.head < CHUNK_POINTS) return;
    const chunk = series.chunks.shift()!;
    series.head -= CHUNK_POINTS;
    if (release) {
      this.pool.give(chunk);
      this.allocated -= CHUNK_POINTS;
    }
  }

  private sweep(nowMs: number): void {
    this.lastSweep = nowMs;
    for (const [name, node] of this.series) {
      for (const [id, series] of node) {
        if (nowMs - series.lastReceivedAt > IDLE_MS) {
          node.delete(id);
          series.removed = true;
          for (const chunk of series.chunks) this.pool.give(chunk);
          this.allocated -= series.chunks.length * CHUNK_POINTS;
        }
      }
      if (node.size === 0) this.series.delete(name);
    }
  }
}
