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

/**
 * Runs the enabled collectors against one source, concurrently, keeping each one's state between
 * cycles. A failing collector costs its own keys only: it is logged (once a minute per collector)
 * and the report goes out with the rest.
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
  ) {
    this.runs = collectors.map((collector) => ({ collector, state: { config, previous: undefined } }));
    this.warnings = new RateLimitedLog(log);
  }

  /** Samples of every collector, in registry order; an empty list when every collector failed. */
  async collect(): Promise<Sample[]> {
    const results = await Promise.all(this.runs.map((run) => this.runOne(run.collector, run.state)));
    const { samples, dropped } = sanitizeSamples(results.flat());
    if (dropped.length > 0) this.warnings.warn('sanitize', `Dropped unsendable values: ${dropped.slice(0, 5).join(', ')}`);
    return samples;
  }

  private async runOne(collector: Collector, state: CollectorState): Promise<Sample[]> {
    const start = performance.now();
    try {
      const samples = await collector.collect(this.source, state);
      this.onOutcome({ collector: collector.name, seconds: (performance.now() - start) / 1000, ok: true });
      return samples;
    } catch (error) {
      this.onOutcome({ collector: collector.name, seconds: (performance.now() - start) / 1000, ok: false });
      this.warnings.warn(`collector:${collector.name}`, `Collector ${collector.name} failed: ${(error as Error).message}`);
      return [];
    }
  }
}
