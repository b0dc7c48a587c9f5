/** Why a report left the queue without being sent. */
export type DropReason = 'overflow' | 'expired';

/** A report encoded as its line (no newline), with the reading time it carries. */
export interface QueuedReport {
  readonly line: string;
  /** Unix seconds, as in the line. */
  readonly timestamp: number;
}

export interface QueueLimits {
  /** Most reports held; past it the oldest is dropped. */
  readonly maxReports: number;
  /** Reports older than this many seconds are dropped (the bridge would refuse them as too_old). */
  readonly maxAgeSeconds: number;
}

/**
 * Store-and-forward buffer: reports wait here while no bridge is reachable and are replayed oldest
 * first with their original timestamps. Memory is bounded by `maxReports` (8640 reports of ~100
 * bytes ≈ 1 MB); a full or stale queue drops from the old end, and every drop is counted.
 */
export class ReportQueue {
  private items: QueuedReport[] = [];
  private head = 0;
  readonly dropped: Record<DropReason, number> = { overflow: 0, expired: 0 };

  constructor(
    private readonly limits: QueueLimits,
    private readonly nowSeconds: () => number = () => Date.now() / 1000,
    private readonly onDrop: (reason: DropReason) => void = () => {},
  ) {}

  get length(): number {
    return this.items.length - this.head;
  }

  push(report: QueuedReport): void {
    this.items.push(report);
    while (this.length > this.limits.maxReports) this.drop('overflow');
    this.expire();
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
    while (this.length > this.limits.maxReports) this.drop('overflow');
    this.expire();
  }

  /** Remove the oldest report: it has been written to a socket. */
  shift(): QueuedReport | undefined {
    const item = this.items[this.head];
    if (item !== undefined) this.advance();
    return item;
  }

  private expire(): void {
    const oldest = this.nowSeconds() - this.limits.maxAgeSeconds;
    for (let item = this.items[this.head]; item !== undefined && item.timestamp < oldest; item = this.items[this.head]) {
      this.drop('expired');
    }
  }

  private drop(reason: DropReason): void {
    this.dropped[reason] += 1;
    this.onDrop(reason);
    this.advance();
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
