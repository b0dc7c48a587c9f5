/**
 * Exponential backoff with "equal jitter" (half fixed, half random; AWS architecture blog): thousands of agents
 * that lost the bridge at the same moment do not reconnect at the same moment.
 */
export interface BackoffOptions {
  /** First delay, milliseconds. */
  readonly initialMs: number;
  /** Upper bound of any delay, milliseconds. */
  readonly maxMs: number;
  /** Random source in [0, 1); injectable for tests. */
  readonly random?: () => number;
}

export class Backoff {
  private attempt = 0;

  constructor(private readonly options: BackoffOptions) {}

  /** Delay before the next attempt; grows 2x per failure up to maxMs, jittered in [cap/2, cap]. */
  next(): number {
    const cap = Math.min(this.options.maxMs, this.options.initialMs * 2 ** this.attempt);
    this.attempt = Math.min(this.attempt + 1, 40);
    const random = this.options.random ?? Math.random;
    return Math.round(cap / 2 + random() * (cap / 2));
  }

  reset(): void {
    this.attempt = 0;
  }
}
