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
    const runs = this.runs;
    // Each collector's samples once it answered; a hole is one that has not answered (yet).
    const results: Array<readonly Sample[] | undefined> = new Array<undefined>(runs.length);
    let open = true;
    let timer: NodeJS.Timeout | undefined;
    // A statfs on a hung NFS server or a stuck hwmon chip must not hold up the whole report. The
    // collectors start together, so one timer per cycle times all of them out, and one promise waits for
    // them all: no race, no async frame per collector (this runs every cycle; exporter/README.md).
    // The timer is armed only for collectors still out after this turn: reading /proc and local disks
    // they answer at once, and a timer cleared after Node's timer phase (here, in a promise job after
    // the schedule's tick) leaves libuv's timer armed, which woke the agent at every half interval.
    await new Promise<void>((resolve) => {
      let waiting = runs.length;
      const settled = (i: number, samples: readonly Sample[] | undefined, error?: unknown) => {
        // Late (timed out already): its outcome was counted as a failure.
        if (!open) return;
        results[i] = samples ?? [];
        this.outcome(runs[i]!.collector, start, error);
        waiting -= 1;
        if (waiting === 0) resolve();
      };
      if (waiting === 0) return resolve();
      setImmediate(() => {
        if (waiting > 0) timer = setTimeout(resolve, Math.max(0, this.timeoutMs - (performance.now() - start)));
      });
      for (let i = 0; i < runs.length; i += 1) {
        const { collector, state } = runs[i]!;
        collector.collect(this.source, state).then(
          (samples) => settled(i, samples),
          (error: unknown) => settled(i, undefined, error ?? new Error('failed')),
        );
      }
    });
    open = false;
    clearTimeout(timer);
    const all: Sample[] = [];
    for (let i = 0; i < runs.length; i += 1) {
      const samples = results[i];
      if (samples === undefined)
        this.outcome(runs[i]!.collector, start, new Error(`no answer within ${this.timeoutMs} ms`));
      else for (const sample of samples) all.push(sample);
    }
    const { samples, dropped } = sanitizeSamples(all);
    if (dropped.length > 0)
      this.warnings.warn('sanitize', `Dropped unsendable values: ${dropped.slice(0, 5).join(', ')}`);
    return samples;
  }

  private outcome(collector: Collector, start: number, error: unknown): void {
    const seconds = (performance.now() - start) / 1000;
    this.onOutcome({ collector: collector.name, seconds, ok: error === undefined });
    if (error !== undefined)
      this.warnings.warn(
        `collector:${collector.name}`,
        `Collector ${collector.name} failed: ${(error as Error).message}`,
      );
  }
}
