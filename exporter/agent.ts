import type { AddressInfo } from 'node:net';
import { Registry } from '../lib/prom-core.ts';
import { splitHostPort } from '../config/common-schemas.ts';
import type { BackoffOptions } from '../lib/backoff.ts';
import type { Logger } from '../lib/logger.ts';
import { RateLimitedLog } from '../lib/rate-limited-log.ts';
import { encodeReport } from '../protocol/line.ts';
import { Collection, type CollectorOutcome } from './collection.ts';
import { senderCredentials } from './credentials.ts';
import type { CollectorConfig } from './collectors/collector.ts';
import { COLLECTORS } from './collectors/index.ts';
import { startMetricsServer, type MetricsServer } from './metrics-server.ts';
import type { ExporterOptions } from './options.ts';
import { DiskQueue } from './disk-queue.ts';
import { ReportQueue } from './queue.ts';
import { createExporterMetrics, type ExporterMetrics } from './self-metrics.ts';
import { startSchedule } from './schedule.ts';
import { TcpSender, type ConnectionState } from './sender.ts';
import { createSource } from './sources/select-source.ts';
import type { GpuSource, SystemSource } from './sources/system-source.ts';

/** Test and embedding seams; production uses the defaults. */
export interface ExporterHooks {
  /** Read values from here instead of the platform's source (it is not closed on stop). */
  readonly source?: SystemSource;
  readonly backoff?: BackoffOptions;
  readonly connectTimeoutMs?: number;
  /** Observes every report the agent produces (tests compare it with what reached storage). */
  readonly onReport?: (report: { readonly line: string; readonly timestamp: number }) => void;
}

export interface RunningExporter {
  readonly registry: Registry;
  /** Where `/metrics` listens, when `metricsPort` is set. */
  readonly metricsAddress: AddressInfo | undefined;
  queueLength(): number;
  connection(): { readonly state: ConnectionState; readonly server: string | undefined };
  /** Flush what can be flushed within a few seconds, close sockets and listeners. */
  stop(): Promise<void>;
}

// On stop, queued lines get this long to reach the bridge before the socket is cut.
const STOP_FLUSH_MS = 3000;
// `--once` has no previous cycle: CPU and network rates are measured over this window instead.
const ONCE_WINDOW_MS = 500;

function collectorsOf(values: ExporterOptions) {
  return COLLECTORS.filter((c) => values.collectors.includes(c.name));
}

/** `skipped` hears of each line or file of --textfile-dir left out (logged here, rate-limited per reason). */
function collectorConfig(
  values: ExporterOptions,
  log: Logger,
  gpus: GpuSource | undefined,
  skipped: (reason: string) => void = () => {},
): CollectorConfig {
  const [first] = values.interfaces;
  const warnings = new RateLimitedLog(log.child('textfile'));
  return {
    interfaces: first === 'auto' ? 'auto' : values.interfaces,
    now: () => performance.now(),
    processes: values.process,
    ...(gpus !== undefined && { gpus }),
    ...(values.textfileDir !== undefined && {
      textfile: {
        dir: values.textfileDir,
        skipped: (reason: string, where: string) => {
          skipped(reason);
          warnings.warn(reason, `Skipped ${where} of --textfile-dir "${values.textfileDir}": ${reason}`);
        },
      },
    }),
  };
}

async function sourceFor(values: ExporterOptions, log: Logger, hooks: ExporterHooks): Promise<SystemSource> {
  if (hooks.source !== undefined) return hooks.source;
  const warnings = new RateLimitedLog(log.child('source'));
  const mounts = values.mounts[0] === 'auto' ? 'auto' : values.mounts;
  return createSource({ kind: values.source, mounts, warn: (key, message) => warnings.warn(key, message) });
}

/**
 * The nvidia-smi child, only with the gpu collector. Imported on demand, like systeminformation: an agent
 * without it never loads child_process.
 */
async function gpuStream(values: ExporterOptions, log: Logger, onStart?: () => void) {
  if (!values.collectors.includes('gpu')) return undefined;
  const { NvidiaSmiStream } = await import('./sources/nvidia-smi.ts');
  return new NvidiaSmiStream({
    intervalSeconds: values.interval,
    log: log.child('gpu'),
    ...(onStart !== undefined && { onStart }),
  });
}

/** `promise`'s value, or 'late' if it has not settled within `ms`. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | 'late'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The line the agent would send now (for `--once`): two readings `ONCE_WINDOW_MS` apart so that
 * `cpu`, `rx` and `tx` have a delta to work from.
 */
export async function collectOnce(values: ExporterOptions, logger: Logger, hooks: ExporterHooks = {}): Promise<string> {
  const source = await sourceFor(values, logger, hooks);
  const gpus = await gpuStream({ ...values, interval: 1 }, logger);
  try {
    const collection = new Collection(source, collectorsOf(values), collectorConfig(values, logger, gpus), logger);
    await collection.collect();
    await Promise.all([new Promise((resolve) => setTimeout(resolve, ONCE_WINDOW_MS)), gpus?.firstReading(5000)]);
    const timestamp = Math.floor(Date.now() / 1000);
    return encodeReport({ node: values.node, timestamp, samples: await collection.collect() });
  } finally {
    await gpus?.close();
    if (hooks.source === undefined) await source.close();
  }
}

/**
 * Start the agent: every `interval` seconds collect, encode one line, queue it and let the sender
 * deliver it (replaying the backlog in order after an outage).
 */
export async function startExporter(
  values: ExporterOptions,
  logger: Logger,
  hooks: ExporterHooks = {},
): Promise<RunningExporter> {
  const registry = new Registry();
  const queueState = () => ({
    length: queue.length,
    bytes: queue.bytes,
    oldestTimestamp: queue.oldestTimestamp,
    diskBytes: disk?.diskBytes,
  });
  const collectors = collectorsOf(values);
  const metrics: ExporterMetrics = createExporterMetrics(
    registry,
    collectors.map((c) => c.name),
    queueState,
  );
  // Opened first: a directory in use by another exporter stops start-up before anything else runs.
  const disk =
    values.queueDir === undefined
      ? undefined
      : new DiskQueue({
          dir: values.queueDir,
          maxBytes: values.queueMaxBytes,
          log: logger.child('queue'),
          onWriteFailure: () => metrics.queueWriteFailures.inc(),
          onCorrupt: (lines) => metrics.dropped.labels('corrupt').inc(lines),
        });
  const drops = new RateLimitedLog(logger.child('queue'));
  const limits = {
    maxReports: values.queueMaxReports,
    maxAgeSeconds: values.queueMaxAge,
    maxBytes: values.queueMaxBytes,
  };
  const queue = new ReportQueue(limits, () => Date.now() / 1000, {
    dropped: (reason, report) => {
      metrics.dropped.labels(reason).inc();
      disk?.remove([report]);
      const why =
        reason === 'overflow'
          ? 'the queue is full (--queue-max-reports, --queue-max-bytes)'
          : 'it is older than --queue-max-age';
      drops.warn(reason, `Dropped the oldest queued report (time ${report.timestamp}): ${why}`);
    },
    settled: (reports) => disk?.remove(reports),
  });
  // A backlog from before a restart goes first, through the same bounds.
  for (const report of disk?.takeBacklog() ?? []) queue.push(report);
  const source = await sourceFor(values, logger, hooks).catch(async (error: unknown) => {
    await disk?.close();
    throw error;
  });
  const recordOutcome = (o: CollectorOutcome) => metrics.collectorOutcome(o.collector, o.seconds, o.ok);
  // Half an interval, within [0.5 s, 5 s]: a hanging collector then delays its report, not the next one.
  const timeoutMs = Math.max(500, Math.min(5000, values.interval * 500));
  const gpus = await gpuStream(values, logger, () => metrics.nvidiaSmiStarts.inc());
  const config = collectorConfig(values, logger, gpus, (reason) => metrics.textfileSkipped.labels(reason).inc());
  const collection = new Collection(source, collectors, config, logger.child('collect'), recordOutcome, timeoutMs);
  const emptyReports = new RateLimitedLog(logger);
  const slowDisk = new RateLimitedLog(logger.child('queue'));

  let metricsServer: MetricsServer | undefined;
  let stopRuntimeMetrics = () => {};
  if (values.metricsPort !== 0) {
    // prom-client's index (default metrics) loads only here: lib/prom-core.ts says why.
    const { collectRuntimeMetrics } = await import('../lib/runtime-metrics.ts');
    stopRuntimeMetrics = collectRuntimeMetrics(registry);
    metricsServer = await startMetricsServer(registry, values.metricsBind, values.metricsPort);
  }

  const sender = new TcpSender(
    queue,
    {
      servers: values.server.map(splitHostPort),
      ...senderCredentials(values),
      ...(hooks.backoff && { backoff: hooks.backoff }),
      ...(hooks.connectTimeoutMs && { connectTimeoutMs: hooks.connectTimeoutMs }),
    },
    logger.child('sender'),
    {
      connected: () => metrics.connected.set(1),
      disconnected: () => {
        metrics.connected.set(0);
        metrics.disconnects.inc();
      },
      connectFailed: () => metrics.connectFailures.inc(),
      written: () => metrics.written.inc(),
      errReply: (reason) => metrics.errReply(reason),
    },
  );

  // `at` is the wall-clock boundary of this cycle (strictly increasing), not Date.now(): a timer that
  // fires a hair early would otherwise stamp the previous second and overwrite that report downstream.
  const cycle = async (at: number) => {
    const cpuBefore = process.cpuUsage();
    const timestamp = at / 1000;
    const samples = await collection.collect();
    const cpu = process.cpuUsage(cpuBefore);
    metrics.cycleCpu.set((cpu.user + cpu.system) / 1e6);
    if (samples.length === 0) return emptyReports.warn('empty', 'No values collected; nothing to report this cycle');
    const report = { line: encodeReport({ node: values.node, timestamp, samples }), timestamp };
    // On disk (fsync'd) before the sender can see it; a failed write is logged and counted, and the
    // report is sent anyway. So is one the disk has not confirmed in time: a hung disk must not
    // silence the node.
    if (disk !== undefined && (await within(disk.append(report), timeoutMs)) === 'late') {
      metrics.queueWriteFailures.inc();
      slowDisk.warn(
        'slow',
        `The queue directory "${values.queueDir}" did not confirm a write within ${timeoutMs} ms; sending without waiting`,
      );
    }
    queue.push(report);
    hooks.onReport?.(report);
    metrics.reports.inc();
    sender.notify();
  };

  // A priming pass gives cpu and network rates a previous reading, so the first report has them.
  await collection.collect();
  const schedule = startSchedule(Math.round(values.interval * 1000), cycle, {
    onClockBack: (ms) =>
      logger.warn(
        `The wall clock went back ${(ms / 1000).toFixed(1)} s; report timestamps restart from it and may overwrite stored ones`,
      ),
  });
  logger.info(
    `Reporting as "${values.node}" every ${values.interval} s to ${values.server.join(', ')} (source ${source.name}; queue ${disk === undefined ? 'in memory only' : `in "${values.queueDir}"`})`,
  );

  return {
    registry,
    metricsAddress: metricsServer?.address,
    queueLength: () => queue.length,
    connection: () => ({ state: sender.state, server: sender.server }),
    async stop() {
      await schedule.stop();
      await sender.stop(STOP_FLUSH_MS);
      if (queue.length > 0)
        logger.warn(
          `Stopped with ${queue.length} reports unsent${disk === undefined ? '' : `; they stay in "${values.queueDir}" for the next start`}`,
        );
      await disk?.close();
      await metricsServer?.close();
      stopRuntimeMetrics();
      await gpus?.close();
      if (hooks.source === undefined) await source.close();
    },
  };
}
