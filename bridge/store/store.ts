import type { Registry } from 'prom-client';
import { ConfigError } from '../../config/config-error.ts';
import type { Logger } from '../../lib/logger.ts';
import { RateLimitedLog } from '../../lib/rate-limited-log.ts';
import type { AcceptedReport } from '../state/node-table.ts';
import { DeadLetterFile, DeadLetterLog, type DeadLetterSink } from './dead-letter.ts';
import { DiskSpool } from './disk-spool.ts';
import type { WriteEndpoint } from './endpoint.ts';
import { FallbackHistory } from './fallback-history.ts';
import type { HistoryReader } from './history.ts';
import { InfluxHistory } from './influx-history.ts';
import { basicAuth, InfluxV1Endpoint } from './influx-v1-endpoint.ts';
import { InfluxV2Endpoint } from './influx-v2-endpoint.ts';
import { reportToLines } from './line-protocol.ts';
import { MemoryHistory } from './memory-history.ts';
import { DurabilityBarrier } from './durability-barrier.ts';
import { MemorySpool } from './memory-spool.ts';
import type { DropListener, Spool } from './spool.ts';
import { databaseConfig, MEMORY_SPOOL_MAX_BYTES, type DatabaseConfig, type StorageOptions } from './store-config.ts';
import { createStorageMetrics, type StorageMetrics } from './storage-metrics.ts';
import { DEFAULT_RETRY_INITIAL_MS, DEFAULT_RETRY_MAX_MS, SpoolingWriter } from './spooling-writer.ts';

/** Everything the bridge keeps beyond the live table. */
export interface Store {
  /** Subscribed to every accepted report. */
  record(report: AcceptedReport): void;
  readonly history: HistoryReader;
  /** The start-up line saying what is persisted where. */
  readonly summary: { readonly level: 'info' | 'warn'; readonly text: string };
  /** Points not yet in the database (memory and spool); 0 without a database. */
  readonly pending: number;
  flush(): Promise<void>;
  /**
   * Resolves once every report recorded before the call is in the database or in the spool (fsync'd
   * when the spool is on disk); requests within one flush interval share one flush. Backs the
   * protocol's PONG, so an agent re-sends whatever a killed bridge had not secured.
   */
  durable(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Build the store the options ask for: always a bounded in-memory history; with --influx-url also a
 * writer (v1 or v2 endpoint, disk or memory spool, dead letter) whose metrics go on `registry`.
 */
export function createStore(options: StorageOptions, registry: Registry, log: Logger): Store {
  const config = databaseConfig(options);
  const memory = new MemoryHistory(options.historyPoints, options.historyMaxPoints);
  if (config.api === 'none') {
    return {
      record: (report) => memory.record(report),
      history: memory,
      summary: { level: 'info', text: `No database configured: nothing is persisted; the last ${options.historyPoints} points per series are kept in memory for /api/v1 history` },
      pending: 0,
      flush: async () => {},
      durable: async () => {},
      close: async () => {},
    };
  }

  const spoolMaxBytes = options.spoolDir === undefined ? Math.min(options.spoolMaxBytes, MEMORY_SPOOL_MAX_BYTES) : options.spoolMaxBytes;
  // The gauges read spool and writer only when scraped, after both exist.
  const metrics = createStorageMetrics(registry, () => spool.stats(), () => writer.pending - spool.stats().points, spoolMaxBytes);
  const spool = openSpool(options.spoolDir, spoolMaxBytes, metrics, log);
  const deadLetter: DeadLetterSink = options.spoolDir === undefined ? new DeadLetterLog(log) : new DeadLetterFile(options.spoolDir, log);
  const endpoint: WriteEndpoint = config.api === 'v1' ? new InfluxV1Endpoint(config) : new InfluxV2Endpoint(config);
  const writer = new SpoolingWriter(
    endpoint,
    spool,
    {
      written: (points, seconds) => {
        metrics.written.inc(points);
        metrics.duration.observe(seconds);
      },
      failed: (error, seconds) => {
        metrics.failures.labels(error.reason).inc();
        metrics.duration.observe(seconds);
      },
      deadLetter: (lines, reason) => {
        metrics.deadLettered.inc(lines.length);
        deadLetter.add(lines, reason);
      },
      up: (isUp) => metrics.up.set(isUp ? 1 : 0),
      droppedAtShutdown: (points) => metrics.dropped.labels('shutdown').inc(points),
    },
    log,
    {
      batchSize: options.influxBatchSize,
      flushIntervalMs: options.influxFlushInterval * 1000,
      fsyncIntervalMs: options.spoolFsyncInterval * 1000,
      retryInitialMs: DEFAULT_RETRY_INITIAL_MS,
      retryMaxMs: DEFAULT_RETRY_MAX_MS,
    },
  );
  metrics.up.set(1);
  const barrier = new DurabilityBarrier(() => writer.flush(), Math.min(options.influxFlushInterval * 1000, 1000));

  return {
    record(report) {
      memory.record(report);
      writer.write(reportToLines(report));
    },
    history: new FallbackHistory(new InfluxHistory(queryTarget(config)), memory, log),
    summary: spool.durable
      ? { level: 'info', text: `Storing every report in ${endpoint.description}; spool: ${spool.description}; dead letters: ${deadLetter.description}` }
      : {
          level: 'warn',
          text: `Storing every report in ${endpoint.description}. No --spool-dir: points the database has not taken wait in ${spool.description} and are lost if the bridge stops; refused lines are only logged`,
        },
    get pending() {
      return writer.pending;
    },
    flush: () => writer.flush(),
    durable: () => barrier.wait(),
    close: () => writer.close(),
  };
}

function openSpool(dir: string | undefined, maxBytes: number, metrics: StorageMetrics, log: Logger): Spool {
  const drops = new RateLimitedLog(log);
  const total = new Map<DropListenerReason, number>();
  const onDrop = (points: number, reason: DropListenerReason = 'spool_full') => {
    metrics.dropped.labels(reason).inc(points);
    const sum = (total.get(reason) ?? 0) + points;
    total.set(reason, sum);
    const why =
      reason === 'spool_full'
        ? `Spool full (--spool-max-bytes ${maxBytes}): dropped the ${points} oldest points`
        : `Spool disk failing: refused ${points} new points (not acknowledged; agents with PING re-send them)`;
    drops.warn(reason, `${why}; ${sum} ${reason} drops since start`);
  };
  if (dir === undefined) return new MemorySpool(maxBytes, onDrop);
  try {
    return new DiskSpool({
      dir,
      maxBytes,
      onDrop,
      onError: (op) => metrics.spoolErrors.labels(op).inc(),
      onRepair: (kind, count) => metrics.spoolRepairs.labels(kind).inc(count),
      log: log.child('spool'),
    });
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`Cannot use spool directory "${dir}" (--spool-dir): ${(error as Error).message}`);
  }
}

type DropListenerReason = NonNullable<Parameters<DropListener>[1]>;

function queryTarget(config: Exclude<DatabaseConfig, { api: 'none' }>) {
  if (config.api === 'v1') {
    const auth = basicAuth(config.user, config.password).authorization;
    return { url: config.url, db: config.db, timeoutMs: config.timeoutMs, ...(config.rp === undefined ? {} : { rp: config.rp }), ...(auth === undefined ? {} : { authorization: auth }) };
  }
  // InfluxDB 1.8 names a bucket "db/rp"; 2.x and 3.x map the bucket name to a database.
  const [db, rp] = config.bucket.split('/', 2) as [string, string | undefined];
  return { url: config.url, db, timeoutMs: config.timeoutMs, ...(rp === undefined ? {} : { rp }), ...(config.token === undefined ? {} : { authorization: `Token ${config.token}` }) };
}
