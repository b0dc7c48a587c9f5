/** Why a report left the queue without being sent. */
export type DropReason = 'overflow' | 'expired';

/** A report encoded as its line (no newline), with the reading time it carries. */
export interface QueuedReport {
  readonly line: string;
  /** Unix seconds, as in the line. */
  readonly timestamp: number;
}

export interface QueueLimits {
  /** Most reports held unsent; past it the oldest is dropped. */
  readonly maxReports: number;
  /** Reports older than this many seconds are dropped (the bridge would refuse them as too_old). */
  readonly maxAgeSeconds: number;
  /**
   * Most bytes (line + newline) held unsent or written but not yet acknowledged; past it the oldest
   * unsent report is dropped. Default: no byte bound.
   */
  readonly maxBytes?: number;
}

/** What happens to queued reports, for the self-metrics and the disk queue. */
export interface QueueListener {
  dropped?(reason: DropReason, report: QueuedReport): void;
  /** The bridge acknowledged these (or, for a bridge that never answers PING, the sender stopped waiting). */
  settled?(reports: readonly QueuedReport[]): void;
}

/** Bytes a report takes on the wire and on disk. */
export const reportBytes = (report: QueuedReport): number => report.line.length + 1;

/**
 * Store-and-forward buffer: reports wait here while no bridge is reachable and are replayed oldest
 * first with their original timestamps. Memory is bounded by `maxReports` (8640 reports of ~100
 * bytes ≈ 1 MB) and `maxBytes`; a full or stale queue drops from the old end, and every drop is
 * counted. Reports the sender took (`shift`) count against `maxBytes` until `acknowledge`d or
 * `requeue`d, so a --queue-dir holding both stays within the bound.
 */
export class ReportQueue {
  private items: QueuedReport[] = [];
  private head = 0;
  private unsentBytes = 0;
  private inFlightBytes = 0;
  readonly dropped: Record<DropReason, number> = { overflow: 0, expired: 0 };

  constructor(
    private readonly limits: QueueLimits,
    private readonly nowSeconds: () => number = () => Date.now() / 1000,
    private readonly listener: QueueListener = {},
  ) {}

  get length(): number {
    return this.items.length - this.head;
  }

  /** Bytes of the reports held unsent plus those written and not yet acknowledged. */
  get bytes(): number {
    return this.unsentBytes + this.inFlightBytes;
  }

  /** Agent time of the oldest unsent report, or undefined. */
  get oldestTimestamp(): number | undefined {
    return this.items[this.head]?.timestamp;
  }

  push(report: QueuedReport): void {
    this.items.push(report);
    this.unsentBytes += reportBytes(report);
    this.bound();
  }

  /** The oldest report still worth sending, without removing it. */
  peek(): QueuedReport | undefined {
    this.expire();
    return this.items[this.head];
  }

  /**
   * Put reports that were written but never acknowledged back at the front, in their order: the
   * connection they went to died. Storage is idempotent, so a duplicate is harmless.
   */
  requeue(reports: readonly QueuedReport[]): void {
    if (reports.length === 0) return;
    this.items = [...reports, ...this.items.slice(this.head)];
    this.head = 0;
    for (const r of reports) {
      this.inFlightBytes -= reportBytes(r);
      this.unsentBytes += reportBytes(r);
    }
    this.bound();
  }

  /** Remove the oldest report: it has been written to a socket. It stays counted until acknowledged. */
  shift(): QueuedReport | undefined {
    const item = this.items[this.head];
    if (item === undefined) return undefined;
    this.advance();
    this.unsentBytes -= reportBytes(item);
    this.inFlightBytes += reportBytes(item);
    return item;
  }

  /** Reports taken by `shift` that need no resending: the bridge acknowledged them. */
  acknowledge(reports: readonly QueuedReport[]): void {
    if (reports.length === 0) return;
    for (const r of reports) this.inFlightBytes -= reportBytes(r);
    this.listener.settled?.(reports);
  }

  private bound(): void {
    const maxBytes = this.limits.maxBytes ?? Number.POSITIVE_INFINITY;
    while (this.length > this.limits.maxReports || (this.length > 0 && this.bytes > maxBytes)) this.drop('overflow');
    this.expire();
  }

  private expire(): void {
    const oldest = this.nowSeconds() - this.limits.maxAgeSeconds;
    for (
      let item = this.items[this.head];
      item !== undefined && item.timestamp < oldest;
      item = this.items[this.head]
    ) {
      this.drop('expired');
    }
  }

  private drop(reason: DropReason): void {
    const item = this.items[this.head]!;
    this.dropped[reason] += 1;
    this.unsentBytes -= reportBytes(item);
    this.advance();
    this.listener.dropped?.(reason, item);
  }

  private advance(): void {
    this.head += 1;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
      return;
    }
    // Compact now and then instead of Array.shift() per item, which is O(n) on a large backlog.
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}
