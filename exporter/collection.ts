import type { Logger } from '../lib/logger.ts';
import { RateLimitedLog } from '../lib/rate-limited-log.ts';
import type { Sample } from '../protocol/line.ts';
import type { Collector, CollectorConfig, CollectorState } from './collectors/collector.ts';
import { sanitizeSamples } from './sanitize-samples.ts';
import type { SystemSource } from './sources/system-source.ts';

/** How one collector did in one cycle. */
export interface CollectorOutcome {
  readonly collector: string;
  readonly seconds: number;
  readonly ok: boolean;
}

/** A collector that has not answered after this long counts as failed for the cycle; default. */
export const DEFAULT_COLLECTOR_TIMEOUT_MS = 5000;

/**
 * Runs the enabled collectors against one source, concurrently, keeping each one's state between
 * cycles. A failing or hanging collector costs its own keys only: it is logged (once a minute per
 * collector) and the report goes out with the rest.
 */
export class Collection {
  private readonly runs: Array<{ collector: Collector; state: CollectorState }>;
  private readonly warnings: RateLimitedLog;

  constructor(
    private readonly source: SystemSource,
    collectors: readonly Collector[],
    config: CollectorConfig,
    log: Logger,
    private readonly onOutcome: (outcome: CollectorOutcome) => void = () => {},
    private readonly timeoutMs = DEFAULT_COLLECTOR_TIMEOUT_MS,
  ) {
    this.runs = collectors.map((collector) => ({ collector, state: { config, previous: undefined } }));
    this.warnings = new RateLimitedLog(log);
  }

  /** Samples of every collector, in registry order; an empty list when every collector failed. */
  async collect(): Promise<Sample[]> {
    const start = performance.now();
    let timer: NodeJS.Timeout | undefined;
    // A statfs on a hung NFS server or a stuck hwmon chip must not hold up the whole report. The
    // collectors start together, so one timer per cycle times each of them out (not one per collector).
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    // Rejects no earlier than the collectors it races: never unhandled.
    timeout.catch(() => {});
    try {
      const results = await Promise.all(this.runs.map((run) => this.runOne(run.collector, run.state, start, timeout)));
      const { samples, dropped } = sanitizeSamples(results.flat());
      if (dropped.length > 0)
        this.warnings.warn('sanitize', `Dropped unsendable values: ${dropped.slice(0, 5).join(', ')}`);
      return samples;
    } finally {
      clearTimeout(timer);
    }
  }

  private async runOne(
    collector: Collector,
    state: CollectorState,
    start: number,
    timeout: Promise<never>,
  ): Promise<Sample[]> {
    try {
      const samples = await Promise.race([collector.collect(this.source, state), timeout]);
      this.onOutcome({ collector: collector.name, seconds: (performance.now() - start) / 1000, ok: true });
      return samples;
    } catch (error) {
      this.onOutcome({ collector: collector.name, seconds: (performance.now() - start) / 1000, ok: false });
      this.warnings.warn(
        `collector:${collector.name}`,
        `Collector ${collector.name} failed: ${(error as Error).message}`,
      );
      return [];
    }
  }
}
