import type { Registry } from 'prom-client';
import { ConfigError } from '../../config/config-error.ts';
import type { Logger } from '../../lib/logger.ts';
import { RateLimitedLog } from '../../lib/rate-limited-log.ts';
import { DeadLetterFile, DeadLetterLog, type DeadLetterSink } from './dead-letter.ts';
import { DiskSpool } from './disk-spool.ts';
import { DurabilityBarrier } from './durability-barrier.ts';
import type { WriteEndpoint } from './endpoint.ts';
import { MemorySpool } from './memory-spool.ts';
import type { DropListener, Spool } from './spool.ts';
import { createStorageMetrics, type StorageMetricNames, type StorageMetrics } from './storage-metrics.ts';
import { MEMORY_SPOOL_MAX_BYTES } from './store-config.ts';
import { DEFAULT_RETRY_INITIAL_MS, DEFAULT_RETRY_MAX_MS, SpoolingWriter } from './spooling-writer.ts';

export interface SpooledOutputOptions {
  /** Spool and dead-letter directory; memory only when undefined. */
  readonly spoolDir: string | undefined;
  readonly spoolMaxBytes: number;
  readonly fsyncIntervalMs: number;
  readonly batchSize: number;
  readonly flushIntervalMs: number;
  readonly names: StorageMetricNames;
  /** Start of the start-up line, e.g. `Storing every report in`. */
  readonly verb: string;
  readonly configHint?: string;
}

/** One target of every accepted report with the store's durability: writer, spool, dead letter, metrics. */
export interface SpooledOutput {
  readonly writer: SpoolingWriter;
  readonly spool: Spool;
  readonly summary: { readonly level: 'info' | 'warn'; readonly text: string };
  /** Resolves once every line written before the call is taken or spooled (see Store.durable). */
  durable(): Promise<void>;
}

/** Wire an endpoint into a SpoolingWriter with a disk (or bounded memory) spool, a dead letter and its metrics on `registry`. */
export function openSpooledOutput(
  endpoint: WriteEndpoint,
  o: SpooledOutputOptions,
  registry: Registry,
  log: Logger,
): SpooledOutput {
  const spoolMaxBytes = o.spoolDir === undefined ? Math.min(o.spoolMaxBytes, MEMORY_SPOOL_MAX_BYTES) : o.spoolMaxBytes;
  // The gauges read spool and writer only when scraped, after both exist.
  const metrics = createStorageMetrics(
    registry,
    () => spool.stats(),
    () => writer.pending - spool.stats().points,
    spoolMaxBytes,
    o.names,
  );
  const spool = openSpool(o.spoolDir, spoolMaxBytes, metrics, log);
  const deadLetter: DeadLetterSink =
    o.spoolDir === undefined ? new DeadLetterLog(log) : new DeadLetterFile(o.spoolDir, log);
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
      batchSize: o.batchSize,
      flushIntervalMs: o.flushIntervalMs,
      fsyncIntervalMs: o.fsyncIntervalMs,
      retryInitialMs: DEFAULT_RETRY_INITIAL_MS,
      retryMaxMs: DEFAULT_RETRY_MAX_MS,
      ...(o.configHint === undefined ? {} : { configHint: o.configHint }),
    },
  );
  metrics.up.set(1);
  const barrier = new DurabilityBarrier(() => writer.flush(), Math.min(o.flushIntervalMs, 1000));
  return {
    writer,
    spool,
    summary: spool.durable
      ? {
          level: 'info',
          text: `${o.verb} ${endpoint.description}; spool: ${spool.description}; dead letters: ${deadLetter.description}`,
        }
      : {
          level: 'warn',
          text: `${o.verb} ${endpoint.description}. No --spool-dir: points the database has not taken wait in ${spool.description} and are lost if the bridge stops; refused lines are only logged`,
        },
    durable: () => barrier.wait(),
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
