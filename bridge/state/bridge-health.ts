import type { Registry } from 'prom-client';
import type { BridgeComponent } from './event-history.ts';

/** What the event log hears about the bridge's own health. */
export interface BridgeHealthSink {
  bridge(component: BridgeComponent, ok: boolean, message: string): void;
}

/** Each output's up gauge and spool error counter, as the store registers them (bridge/store/storage-metrics.ts). */
const WATCHED: ReadonlyArray<{
  readonly storage: BridgeComponent;
  readonly spool: BridgeComponent;
  readonly prefix: string;
  readonly what: string;
  /** `${prefix}_storage_up`, named once: watching() asks every tick. */
  readonly up: string;
}> = [
  { storage: 'storage', spool: 'spool', prefix: 'obsmon_bridge', what: 'InfluxDB', up: 'obsmon_bridge_storage_up' },
  {
    storage: 'remote_storage',
    spool: 'remote_spool',
    prefix: 'obsmon_bridge_remote',
    what: 'remote write',
    up: 'obsmon_bridge_remote_storage_up',
  },
];

const CHECKED: Promise<void> = Promise.resolve();

async function values(registry: Registry, name: string): Promise<number[] | undefined> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) return undefined;
  return (await metric.get()).values.map((v) => v.value);
}

/**
 * Reads the store's own self-metrics each tick rather than a second opinion: the database is down
 * while `*_storage_up` is 0; the spool is failing while `*_spool_errors_total` grows (a tick with no
 * new error ends it). Only configured outputs have these metrics; absent ones are skipped.
 */
export class BridgeHealthWatch {
  private readonly spoolErrors = new Map<BridgeComponent, number>();

  constructor(
    private readonly registry: Registry,
    private readonly sink: BridgeHealthSink,
  ) {}

  /** Whether any output is configured (its metrics registered): without one, check() has nothing to read. */
  watching(): boolean {
    return WATCHED.some((w) => this.registry.getSingleMetric(w.up) !== undefined);
  }

  /** Every tick: without a configured output nothing is read and no promise is made (an idle or database-less bridge). */
  check(): Promise<void> {
    return this.watching() ? this.read() : CHECKED;
  }

  private async read(): Promise<void> {
    for (const w of WATCHED) {
      const up = await values(this.registry, w.up);
      if (up !== undefined && up.length > 0) {
        const ok = up[0] === 1;
        this.sink.bridge(
          w.storage,
          ok,
          ok ? `${w.what} takes writes again` : `${w.what} does not take writes; reports are spooled`,
        );
      }
      const errors = await values(this.registry, `${w.prefix}_spool_errors_total`);
      if (errors === undefined) continue;
      const total = errors.reduce((a, b) => a + b, 0);
      const before = this.spoolErrors.get(w.spool);
      this.spoolErrors.set(w.spool, total);
      if (before === undefined) continue;
      const failing = total > before;
      this.sink.bridge(
        w.spool,
        !failing,
        failing
          ? `${w.what} spool: ${total - before} failed file operations (see ${w.prefix}_spool_errors_total); reports are not acknowledged`
          : `${w.what} spool: file operations succeed again`,
      );
    }
  }
}
