/**
 * Lines per second per connection, as a token bucket. Over budget the connection is paused, never
 * dropped: an agent replaying an hour of queued reports is slowed down, and loses nothing.
 */
export class LineBudget {
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly perSecond: number,
    private readonly now: () => number = Date.now,
  ) {
    // One second of burst: an agent's whole backlog chunk may arrive in one packet.
    this.tokens = perSecond;
    this.refilledAt = now();
  }

  /** Take one line; returns how long to pause reading (ms), 0 while within budget. */
  take(): number {
    const now = this.now();
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.refilledAt) / 1000) * this.perSecond);
    this.refilledAt = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.perSecond) * 1000);
  }
}
