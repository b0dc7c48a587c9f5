import type { Logger } from './logger.ts';

/**
 * At most one warning per key per interval, carrying how many events it stands for and one sample.
 * A flood of garbage lines then costs a few log lines a minute, not one per line.
 */
export class RateLimitedLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly log: Logger,
    private readonly intervalMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  warn(key: string, message: string): void {
    const now = this.now();
    const entry = this.last.get(key);
    if (entry !== undefined && now - entry.at < this.intervalMs) {
      entry.suppressed += 1;
      return;
    }
    const more = entry !== undefined && entry.suppressed > 0 ? ` (${entry.suppressed} more since last report)` : '';
    this.log.warn(`${message}${more}`);
    // Bounded: keys are reasons (a closed set), so the map cannot grow with hostile input.
    this.last.set(key, { at: now, suppressed: 0 });
  }
}
