import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { SPOOL_OPS, SPOOL_REPAIRS } from './disk-spool.ts';
import type { SpoolStats } from './spool.ts';
import { FAILURE_REASONS } from './write-error.ts';

/**
 * Why points left the store without reaching the database (dead-lettered lines are counted apart).
 * `spool_error`: the spool disk failed and the lines waiting in memory for it reached their bound,
 * or the bridge stopped before they could be written; none of them had been acknowledged.
 */
export const DROP_REASONS = ['spool_full', 'spool_error', 'shutdown'] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/** Name prefixes of one output's metrics: its writer's, and its spool's. */
export interface StorageMetricNames {
  readonly storage: string;
  readonly spool: string;
}

/** The InfluxDB writer: `obsmon_bridge_storage_*`, `obsmon_bridge_spool_*`. */
export const INFLUX_METRIC_NAMES: StorageMetricNames = {
  storage: 'obsmon_bridge_storage',
  spool: 'obsmon_bridge_spool',
};
/** The Prometheus remote-write output: `obsmon_bridge_remote_storage_*`, `obsmon_bridge_remote_spool_*` (as Prometheus' own prometheus_remote_storage_*). */
export const REMOTE_WRITE_METRIC_NAMES: StorageMetricNames = {
  storage: 'obsmon_bridge_remote_storage',
  spool: 'obsmon_bridge_remote_spool',
};

/** The store's metrics, registered only when a database is configured. */
export function createStorageMetrics(
  registry: Registry,
  spoolStats: () => SpoolStats,
  pendingPoints: () => number,
  maxBytes: number,
  names: StorageMetricNames = INFLUX_METRIC_NAMES,
) {
  const m = {
    written: new Counter({
      name: `${names.storage}_points_written_total`,
      help: 'Points the database acknowledged (a re-sent point counts again)',
      registers: [registry],
    }),
    duration: new Histogram({
      name: `${names.storage}_write_duration_seconds`,
      help: 'Duration of write requests to the database, successful or not',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    failures: new Counter({
      name: `${names.storage}_write_failures_total`,
      help: 'Failed write requests to the database, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    deadLettered: new Counter({
      name: `${names.storage}_points_dead_lettered_total`,
      help: 'Points the database refused for good, set aside in the dead-letter file',
      registers: [registry],
    }),
    dropped: new Counter({
      name: `${names.storage}_points_dropped_total`,
      help: 'Points lost before reaching the database, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    up: new Gauge({
      name: `${names.storage}_up`,
      help: '1 if the last write request to the database succeeded',
      registers: [registry],
    }),
    spoolErrors: new Counter({
      name: `${names.spool}_errors_total`,
      help: 'Failed file operations of the spool directory, by operation; while writes fail, reports are not acknowledged',
      labelNames: ['op'] as const,
      registers: [registry],
    }),
    spoolRepairs: new Counter({
      name: `${names.spool}_repairs_total`,
      help: 'Problems found in the spool directory at start-up and repaired, by kind',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
  };
  new Gauge({
    name: `${names.storage}_pending_points`,
    help: 'Points in memory waiting for the next write (not yet spooled)',
    registers: [registry],
    collect() {
      this.set(pendingPoints());
    },
  });
  new Gauge({
    name: `${names.spool}_bytes`,
    help: 'Bytes of points spooled and not yet written',
    registers: [registry],
    collect() {
      this.set(spoolStats().bytes);
    },
  });
  new Gauge({
    name: `${names.spool}_max_bytes`,
    help: 'Spool size limit (--spool-max-bytes), bytes',
    registers: [registry],
  }).set(maxBytes);
  new Gauge({
    name: `${names.spool}_points`,
    help: 'Points spooled and not yet written',
    registers: [registry],
    collect() {
      this.set(spoolStats().points);
    },
  });
  new Gauge({
    name: `${names.spool}_oldest_timestamp_seconds`,
    help: 'Agent timestamp of the oldest spooled point, unix seconds; 0 when the spool is empty',
    registers: [registry],
    collect() {
      this.set(spoolStats().oldestTimestamp ?? 0);
    },
  });
  // Zero-initialise every label value so rate() and absent-series alerts work from the first scrape.
  for (const reason of FAILURE_REASONS) m.failures.labels(reason).inc(0);
  for (const reason of DROP_REASONS) m.dropped.labels(reason).inc(0);
  for (const op of SPOOL_OPS) m.spoolErrors.labels(op).inc(0);
  for (const kind of SPOOL_REPAIRS) m.spoolRepairs.labels(kind).inc(0);
  return m;
}

export type StorageMetrics = ReturnType<typeof createStorageMetrics>;
