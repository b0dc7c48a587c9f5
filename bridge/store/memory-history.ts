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
const INITIAL_CAPACITY = 16;

/** Ring buffer of (time, value), grown by doubling up to its cap. */
class Ring {
  times = new Float64Array(INITIAL_CAPACITY);
  values = new Float64Array(INITIAL_CAPACITY);
  start = 0;
  size = 0;
  lastReceivedAt = 0;

  get capacity(): number {
    return this.times.length;
  }

  push(t: number, v: number): void {
    const i = (this.start + this.size) % this.capacity;
    this.times[i] = t;
    this.values[i] = v;
    if (this.size < this.capacity) this.size += 1;
    else this.start = (this.start + 1) % this.capacity;
  }

  grow(capacity: number): void {
    const times = new Float64Array(capacity);
    const values = new Float64Array(capacity);
    for (let k = 0; k < this.size; k += 1) {
      const i = (this.start + k) % this.capacity;
      times[k] = this.times[i]!;
      values[k] = this.values[i]!;
    }
    this.times = times;
    this.values = values;
    this.start = 0;
  }
}

/**
 * History without a database: per node and series the newest `pointsPerSeries` points, and never
 * more than `maxPoints` over all series (a series that cannot grow any more wraps early, i.e. keeps
 * a shorter history). Series silent for a day are removed.
 */
export class MemoryHistory implements HistoryReader {
  private readonly series = new Map<string, Map<string, Ring>>();
  private allocated = 0;
  private lastSweep = 0;

  constructor(
    private readonly pointsPerSeries = DEFAULT_HISTORY_POINTS,
    private readonly maxPoints = DEFAULT_HISTORY_MAX_POINTS,
  ) {}

  /** Points held now (for tests and sizing). */
  get points(): number {
    let n = 0;
    for (const node of this.series.values()) for (const ring of node.values()) n += ring.size;
    return n;
  }

  record(report: AcceptedReport): void {
    let node = this.series.get(report.node);
    if (node === undefined) {
      node = new Map();
      this.series.set(report.node, node);
    }
    const t = lineTimestamp(report.timestamp);
    for (const sample of report.samples) {
      const id = seriesId(sample.key, sample.qualifier);
      let ring = node.get(id);
      if (ring === undefined) {
        if (this.allocated + INITIAL_CAPACITY > this.maxPoints) continue;
        ring = new Ring();
        this.allocated += INITIAL_CAPACITY;
        node.set(id, ring);
      } else if (ring.size === ring.capacity && ring.capacity < this.pointsPerSeries) {
        const next = Math.min(ring.capacity * 2, this.pointsPerSeries);
        if (this.allocated + next - ring.capacity <= this.maxPoints) {
          this.allocated += next - ring.capacity;
          ring.grow(next);
        }
      }
      ring.push(t, sample.value);
      ring.lastReceivedAt = report.receivedAt;
    }
    if (report.receivedAt - this.lastSweep > 60_000) this.sweep(report.receivedAt);
  }

  async query(q: HistoryQuery): Promise<HistoryAnswer> {
    const ring = this.series.get(q.node)?.get(seriesId(q.key, q.qualifier));
    if (ring === undefined) return { source: 'memory', points: [] };
    // Insertion order is not time order (replayed backlogs); a later write of the same second wins, as in the database.
    const byTime = new Map<number, number>();
    for (let k = 0; k < ring.size; k += 1) {
      const i = (ring.start + k) % ring.capacity;
      const t = ring.times[i]!;
      if (t >= q.from && t <= q.to) byTime.set(t, ring.values[i]!);
    }
    const points: HistoryPoint[] = [...byTime].sort((a, b) => a[0] - b[0]);
    return { source: 'memory', points: points.slice(-MAX_HISTORY_POINTS) };
  }

  private sweep(nowMs: number): void {
    this.lastSweep = nowMs;
    for (const [name, node] of this.series) {
      for (const [id, ring] of node) {
        if (nowMs - ring.lastReceivedAt > IDLE_MS) {
          node.delete(id);
          this.allocated -= ring.capacity;
        }
      }
      if (node.size === 0) this.series.delete(name);
    }
  }
}
