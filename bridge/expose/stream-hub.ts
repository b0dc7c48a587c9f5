import type { ServerResponse } from 'node:http';
import type { Counter } from 'prom-client';
import type { EventFilter, EventLog } from './event-log.ts';

export const STREAM_DROP_REASONS = ['slow', 'total_buffered', 'stalled'] as const;
export type StreamDropReason = (typeof STREAM_DROP_REASONS)[number];

export interface StreamHubOptions {
  /** Bytes of stream a live subscriber may fall behind (beyond its replay) before it is dropped. */
  readonly maxBufferedBytes: number;
  /** Bytes held in Node's socket buffers over all subscribers. */
  readonly maxTotalBufferedBytes: number;
  readonly heartbeatMs: number;
  /** A subscriber whose socket takes nothing for this long is dropped, freeing the kernel's buffer for it. */
  readonly stallMs: number;
  readonly now?: () => number;
}

/** One write: SSE frames joined, so Node holds a few large buffers rather than four per event. */
const CHUNK_BYTES = 16 * 1024;
/** Writes per subscriber per turn of the event loop, so a long replay never starves other requests. */
const WRITES_PER_TURN = 4;
/** Events looked at per write, so a filtered subscriber skipping the whole window yields too. */
const SCAN_PER_WRITE = 2048;

/**
 * Live events for one subscriber within this long of its last write wait and go out together: a status
 * page of 10 000 nodes (1000 events a second, one per turn of the event loop) gets ~100 writes a second
 * instead of one per event (strace), each a writev through the TCP stack and a wake-up of its reader.
 * The bridge's own CPU moved within noise (10 and 50 ms measured alike). A subscriber written to less
 * often (one node, a quiet fleet) gets each event at once.
 */
export const COALESCE_MS = 10;

/** How long a socket must have taken nothing before the total bound may drop it. */
const STALL_GRACE_MS = 1000;

export const WINDOW_EXCEEDED = 'event: reset\ndata: {"reason":"window_exceeded"}\n\n';
const WINDOW_EXCEEDED_BYTES = Buffer.from(WINDOW_EXCEEDED);

interface Subscriber {
  readonly res: ServerResponse;
  readonly wanted: EventFilter;
  /** Next seq to look at. */
  cursor: number;
  /** Stream offset of `cursor` (bytes of every event before it). */
  offset: number;
  /** Stream offset when it subscribed: what lies before is replay and does not count as lag. */
  readonly liveFrom: number;
  /** When its socket last refused more (write returned false), until the next 'drain'. */
  stalledSince: number | undefined;
  /** When it was last written to: live events within COALESCE_MS of it wait in `waiting`. */
  lastWriteAt: number;
  /** Frames read from the window (cursor moved past them) and not written yet. */
  waiting: Buffer[];
  waitingBytes: number;
  closed: boolean;
}

/**
 * Every `/api/v1/stream` subscriber reads the shared event window through its own cursor, and is
 * written to only while its socket takes data (backpressure): a reader that stops costs what Node
 * holds for one socket (about one chunk), never a private copy of the stream. A subscriber more than
 * `maxBufferedBytes` of live stream behind is dropped (`slow`); when the bytes Node holds for all
 * subscribers would pass `maxTotalBufferedBytes`, the longest-stalled one is dropped (`total_buffered`);
 * one whose socket takes nothing for `stallMs` is dropped (`stalled`).
 * Ingest never waits: an event only schedules one flush for the next turn of the event loop.
 */
export class StreamHub {
  private readonly subscribers = new Set<Subscriber>();
  private flushQueued = false;
  /** Armed while some subscriber holds frames (COALESCE_MS). */
  private coalesce: NodeJS.Timeout | undefined;
  /** Bytes Node holds for all subscribers: measured at each flush, raised by each write until the next. */
  private held = 0;
  /** Armed while someone subscribes: an idle bridge's every wake-up costs (bridge/state/bridge-tick.ts). */
  private heartbeat: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly log: EventLog,
    private readonly options: StreamHubOptions,
    private readonly dropped: Counter<'reason'>,
  ) {
    this.unsubscribe = log.subscribe(() => this.schedule());
  }

  get size(): number {
    return this.subscribers.size;
  }

  /** Bytes written to subscribers' responses that their sockets have not sent yet. */
  bufferedBytes(): number {
    let total = 0;
    for (const s of this.subscribers) total += s.res.writableLength;
    return total;
  }

  /** Start streaming to `res` from `cursor` (a seq); `prelude` is written first (retry, reset). */
  add(res: ServerResponse, wanted: EventFilter, cursor: number, prelude: string): void {
    const s: Subscriber = {
      res,
      wanted,
      cursor,
      offset: this.log.offsetOf(cursor),
      liveFrom: this.log.endOffset,
      stalledSince: undefined,
      lastWriteAt: -Infinity,
      waiting: [],
      waitingBytes: 0,
      closed: false,
    };
    this.subscribers.add(s);
    if (this.heartbeat === undefined && !this.stopped) {
      this.heartbeat = setInterval(() => this.keepAlive(), this.options.heartbeatMs);
      this.heartbeat.unref();
    }
    res.on('close', () => {
      s.closed = true;
      this.remove(s);
    });
    res.on('drain', () => {
      s.stalledSince = undefined;
      this.pump(s);
    });
    this.write(s, prelude);
    this.pump(s);
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    clearTimeout(this.coalesce);
    this.coalesce = undefined;
    this.unsubscribe();
  }

  private remove(s: Subscriber): void {
    this.subscribers.delete(s);
    if (this.subscribers.size > 0) return;
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  private schedule(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    setImmediate(() => {
      this.flushQueued = false;
      this.held = this.bufferedBytes();
      for (const s of this.subscribers) this.pump(s);
    });
  }

  /** Live bytes not yet handed to the socket, plus what the socket still holds. */
  private behind(s: Subscriber): number {
    return this.log.endOffset - Math.max(s.offset, s.liveFrom) + s.waitingBytes + s.res.writableLength;
  }

  /** `force`: the coalescing delay is over, waiting frames go out now. */
  private pump(s: Subscriber, force = false): void {
    if (s.closed) return;
    if (s.res.writableNeedDrain) {
      if (this.behind(s) > this.options.maxBufferedBytes) this.drop(s, 'slow');
      return;
    }
    const log = this.log;
    for (let turn = 0; turn < WRITES_PER_TURN && (s.cursor <= log.lastSeq || s.waitingBytes > 0); turn += 1) {
      const parts = s.waiting;
      let bytes = s.waitingBytes;
      s.waiting = [];
      s.waitingBytes = 0;
      if (s.cursor < log.oldestSeq) {
        // Events it never got left the window (it was reading slower than they came): say so, go on.
        s.cursor = log.oldestSeq;
        s.offset = log.offsetOf(s.cursor);
        parts.push(WINDOW_EXCEEDED_BYTES);
        bytes += WINDOW_EXCEEDED_BYTES.length;
      }
      for (let scanned = 0; s.cursor <= log.lastSeq && bytes < CHUNK_BYTES && scanned < SCAN_PER_WRITE; scanned += 1) {
        const seq = s.cursor;
        s.cursor += 1;
        const size = log.bytesOf(seq);
        s.offset = log.offsetOf(seq) + size;
        if (log.matches(seq, s.wanted)) {
          parts.push(log.frame(seq));
          bytes += size;
        }
      }
      if (bytes === 0) continue;
      if (!force && bytes < CHUNK_BYTES && s.cursor > log.lastSeq && this.now() - s.lastWriteAt < COALESCE_MS) {
        s.waiting = parts;
        s.waitingBytes = bytes;
        this.coalesce ??= setTimeout(() => this.flushHeld(), COALESCE_MS);
        return;
      }
      if (!this.reserve(s, bytes)) return;
      // One write of one buffer: the frames copied together (at most a chunk), or the one frame's view.
      if (!this.write(s, parts.length === 1 ? parts[0]! : Buffer.concat(parts, bytes))) return; // 'drain' calls pump again
    }
    if (s.cursor <= log.lastSeq) this.schedule();
  }

  /**
   * Room for `bytes` more under the total bound, dropping the longest-stalled subscribers if need be.
   * Only a socket that took nothing for STALL_GRACE_MS is a victim: a reader that drains has its bytes
   * on their way (at most one write each), so it is never dropped for others' sake.
   */
  private reserve(s: Subscriber, bytes: number): boolean {
    const max = this.options.maxTotalBufferedBytes;
    if (this.held + bytes <= max) {
      this.held += bytes;
      return true;
    }
    this.held = this.bufferedBytes();
    const stalledBefore = (this.options.now ?? Date.now)() - STALL_GRACE_MS;
    while (this.held + bytes > max) {
      let victim: Subscriber | undefined;
      for (const other of this.subscribers) {
        const since = other.stalledSince;
        if (
          since !== undefined &&
          since <= stalledBefore &&
          other.res.writableLength > 0 &&
          (victim === undefined || since < victim.stalledSince!)
        )
          victim = other;
      }
      // Nothing is stuck: what Node holds is on its way (at most one chunk per subscriber).
      if (victim === undefined) break;
      this.held -= victim.res.writableLength;
      this.drop(victim, 'total_buffered');
      if (victim === s) return false;
    }
    this.held += bytes;
    return true;
  }

  private flushHeld(): void {
    this.coalesce = undefined;
    this.held = this.bufferedBytes();
    for (const s of this.subscribers) if (s.waitingBytes > 0) this.pump(s, true);
  }

  private write(s: Subscriber, text: string | Buffer): boolean {
    const more = s.res.write(text);
    s.lastWriteAt = this.now();
    if (!more) s.stalledSince ??= s.lastWriteAt;
    return more;
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private keepAlive(): void {
    const now = (this.options.now ?? Date.now)();
    for (const s of this.subscribers) {
      if (!s.res.writableNeedDrain) this.write(s, ': keepalive\n\n');
      else if (this.behind(s) > this.options.maxBufferedBytes) this.drop(s, 'slow');
      // The kernel holds up to its send buffer (Linux: net.ipv4.tcp_wmem, 4 MiB) for a reader that
      // stopped; Node cannot shrink it, so a socket that takes nothing for long is closed.
      else if (s.stalledSince !== undefined && now - s.stalledSince >= this.options.stallMs) this.drop(s, 'stalled');
    }
  }

  private drop(s: Subscriber, reason: StreamDropReason): void {
    s.closed = true;
    this.remove(s);
    this.dropped.labels(reason).inc();
    s.res.destroy();
  }
}
