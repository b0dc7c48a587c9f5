import { registerBufferPoolMetrics } from './buffer-pool.ts';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import type { Logger } from '../../lib/logger.ts';
import type { AcceptedReport } from '../state/node-table.ts';
import type { WriteEndpoint } from './endpoint.ts';
import { FallbackHistory } from './fallback-history.ts';
import type { HistoryReader } from './history.ts';
import { InfluxHistory } from './influx-history.ts';
import { basicAuth, InfluxV1Endpoint } from './influx-v1-endpoint.ts';
import { InfluxV2Endpoint } from './influx-v2-endpoint.ts';
import { reportToLines } from './line-protocol.ts';
import { MemoryHistory, registerMemoryHistoryMetrics } from './memory-history.ts';
import { REMOTE_WRITE_SPOOL_SUBDIR, remoteWriteConfig, type RemoteWriteOptions } from './remote-write-config.ts';
import { RemoteWriteEndpoint } from './remote-write-endpoint.ts';
import { reportToSampleLines } from './sample-lines.ts';
import { openSpooledOutput, type SpooledOutput } from './spooled-output.ts';
import { databaseConfig, type DatabaseConfig, type StorageOptions } from './store-config.ts';
import { INFLUX_METRIC_NAMES, REMOTE_WRITE_METRIC_NAMES } from './storage-metrics.ts';
import { DEFAULT_FLUSH_INTERVAL_MS } from './spooling-writer.ts';

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
 * Build the store the options ask for: always a bounded in-memory history; with --influx-url also an
 * InfluxDB writer (v1 or v2 endpoint), with --remote-write-url a Prometheus remote-write output; each
 * with its own spool (disk or memory) and dead letter, and its metrics on `registry`.
 */
export function createStore(options: StorageOptions & RemoteWriteOptions, registry: Registry, log: Logger): Store {
  const config = databaseConfig(options);
  const remote = remoteWriteConfig(options);
  const memory = new MemoryHistory(options.historyPoints, options.historyMaxPoints);
  registerMemoryHistoryMetrics(registry, memory);
  if (config.api === 'none' && remote === undefined) {
    return {
      record: (report) => memory.record(report),
      history: memory,
      summary: {
        level: 'info',
        text: `No database configured: nothing is persisted; the last ${options.historyPoints} points per series are kept in memory for /api/v1 history`,
      },
      pending: 0,
      flush: async () => {},
      durable: async () => {},
      close: async () => {},
    };
  }

  const outputs: Array<{ readonly output: SpooledOutput; readonly serialize: (report: AcceptedReport) => string[] }> =
    [];
  const shared = { spoolMaxBytes: options.spoolMaxBytes, fsyncIntervalMs: options.spoolFsyncInterval * 1000 };
  if (config.api !== 'none') {
    const endpoint: WriteEndpoint = config.api === 'v1' ? new InfluxV1Endpoint(config) : new InfluxV2Endpoint(config);
    const output = openSpooledOutput(
      endpoint,
      {
        ...shared,
        spoolDir: options.spoolDir,
        batchSize: options.influxBatchSize,
        flushIntervalMs: options.influxFlushInterval * 1000,
        names: INFLUX_METRIC_NAMES,
        verb: 'Storing every report in',
      },
      registry,
      log,
    );
    outputs.push({ output, serialize: reportToLines });
  }
  if (remote !== undefined) {
    try {
      const output = openSpooledOutput(
        new RemoteWriteEndpoint(remote),
        {
          ...shared,
          // Its own spool: the two targets fail and drain independently.
          spoolDir: options.spoolDir === undefined ? undefined : join(options.spoolDir, REMOTE_WRITE_SPOOL_SUBDIR),
          batchSize: remote.batchSize,
          flushIntervalMs: DEFAULT_FLUSH_INTERVAL_MS,
          names: REMOTE_WRITE_METRIC_NAMES,
          verb: 'Sending every report to',
          configHint:
            'check --remote-write-url and the credentials (Prometheus needs --web.enable-remote-write-receiver)',
        },
        registry,
        log.child('remote-write'),
      );
      outputs.push({ output, serialize: reportToSampleLines });
    } catch (error) {
      for (const { output } of outputs) void output.writer.close();
      throw error;
    }
  }
  registerBufferPoolMetrics(registry);
  const writers = outputs.map(({ output }) => output.writer);
  const summaries = outputs.map(({ output }) => output.summary);
  if (config.api === 'none')
    summaries.push({
      level: 'info',
      text: `no --influx-url: the last ${options.historyPoints} points per series are kept in memory for /api/v1 history`,
    });

  return {
    record(report) {
      memory.record(report);
      for (const { output, serialize } of outputs) output.writer.write(serialize(report));
    },
    history: config.api === 'none' ? memory : new FallbackHistory(new InfluxHistory(queryTarget(config)), memory, log),
    summary: {
      level: summaries.some((s) => s.level === 'warn') ? 'warn' : 'info',
      text: summaries.map((s) => s.text).join('; '),
    },
    get pending() {
      return writers.reduce((sum, w) => sum + w.pending, 0);
    },
    flush: async () => {
      await Promise.all(writers.map((w) => w.flush()));
    },
    durable: async () => {
      await Promise.all(outputs.map(({ output }) => output.durable()));
    },
    close: async () => {
      await Promise.all(writers.map((w) => w.close()));
    },
  };
}

function queryTarget(config: Exclude<DatabaseConfig, { api: 'none' }>) {
  if (config.api === 'v1') {
    const auth = basicAuth(config.user, config.password).authorization;
    return {
      url: config.url,
      db: config.db,
      timeoutMs: config.timeoutMs,
      ...(config.rp === undefined ? {} : { rp: config.rp }),
      ...(auth === undefined ? {} : { authorization: auth }),
    };
  }
  // InfluxDB 1.8 names a bucket "db/rp"; 2.x and 3.x map the bucket name to a database.
  const [db, rp] = config.bucket.split('/', 2) as [string, string | undefined];
  return {
    url: config.url,
    db,
    timeoutMs: config.timeoutMs,
    ...(rp === undefined ? {} : { rp }),
    ...(config.token === undefined ? {} : { authorization: `Token ${config.token}` }),
  };
}
