/**
 * Lines per second per connection, as a token bucket. Over budget the connection is paused, never
 * dropped: an agent replaying an hour of queued reports is slowed down, and loses nothing.
 * The caller reads the clock once per chunk (`refill`), never per line.
 */
export class LineBudget {
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly perSecond: number,
    now: number,
  ) {
    // One second of burst: an agent's whole backlog chunk may arrive in one packet.
    this.tokens = perSecond;
    this.refilledAt = now;
  }

  /** Add what the time since the last refill earned (at most one second's worth). */
  refill(now: number): void {
    if (now <= this.refilledAt) return;
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.refilledAt) / 1000) * this.perSecond);
    this.refilledAt = now;
  }

  /** Room for one more line. */
  get ready(): boolean {
    return this.tokens >= 1;
  }

  /** One line handled; false once the budget is spent (pause before the next line). */
  take(): boolean {
    this.tokens -= 1;
    return this.tokens >= 1;
  }

  /** How long until the next line may be handled, ms (0 while within budget). */
  get waitMs(): number {
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.perSecond) * 1000);
  }
}
