import { Counter, Gauge, type Registry } from '../lib/prom-core.ts';
import { registerBuildInfo } from '../lib/build-info.ts';
import { ERR_REASONS, type ErrReason } from '../protocol/session.ts';
import { TEXTFILE_SKIP_REASONS } from './collectors/textfile.ts';
import type { DropReason } from './queue.ts';

/** `corrupt`: a line of --queue-dir that was not a valid report when read back at start. */
export const DROP_REASONS = ['overflow', 'expired', 'corrupt'] as const satisfies readonly (DropReason | 'corrupt')[];

/** What the queue gauges read at scrape time. */
export interface QueueState {
  readonly length: number;
  readonly bytes: number;
  readonly oldestTimestamp: number | undefined;
  /** Bytes of the --queue-dir files; undefined without one. */
  readonly diskBytes: number | undefined;
}

/** The agent's own metrics, for `--metrics-port` (sites that pull rather than push). */
export function createExporterMetrics(registry: Registry, collectorNames: readonly string[], queue: () => QueueState) {
  registerBuildInfo(registry);
  const registers = [registry];
  // The last cycle's outcome per collector, kept in plain numbers and handed to the gauges when they are
  // read: a cycle does no prom-client work for them (most agents are never scraped).
  const outcomes = new Map(collectorNames.map((name) => [name, { seconds: 0, ok: 0 }]));
  const m = {
    collectorDuration: new Gauge({
      name: 'obsmon_exporter_collector_duration_seconds',
      help: 'Time the collector took in the last cycle',
      labelNames: ['collector'] as const,
      registers,
      collect() {
        for (const [name, outcome] of outcomes) this.labels(name).set(outcome.seconds);
      },
    }),
    collectorSuccess: new Gauge({
      name: 'obsmon_exporter_collector_success',
      help: '1 if the collector succeeded in the last cycle, else 0',
      labelNames: ['collector'] as const,
      registers,
      collect() {
        for (const [name, outcome] of outcomes) this.labels(name).set(outcome.ok);
      },
    }),
    textfileSkipped: new Counter({
      name: 'obsmon_exporter_textfile_skipped_total',
      help: 'Lines and files of --textfile-dir left out of a report, by reason (counted every cycle they are read)',
      labelNames: ['reason'] as const,
      registers,
    }),
    nvidiaSmiStarts: new Counter({
      name: 'obsmon_exporter_nvidia_smi_starts_total',
      help: 'nvidia-smi children started by the gpu collector (1 for a healthy agent; more = it died or went silent)',
      registers,
    }),
    cycleCpu: new Gauge({
      name: 'obsmon_exporter_cycle_cpu_seconds',
      help: 'CPU time of the last collection cycle (this process)',
      registers,
    }),
    reports: new Counter({ name: 'obsmon_exporter_reports_total', help: 'Reports collected and queued', registers }),
    written: new Counter({
      name: 'obsmon_exporter_reports_written_total',
      help: 'Reports written to a bridge connection',
      registers,
    }),
    dropped: new Counter({
      name: 'obsmon_exporter_reports_dropped_total',
      help: 'Reports dropped from the queue unsent, by reason (overflow, expired, corrupt)',
      labelNames: ['reason'] as const,
      registers,
    }),
    queue: new Gauge({
      name: 'obsmon_exporter_queue_reports',
      help: 'Reports waiting to be sent',
      registers,
      collect() {
        this.set(queue().length);
      },
    }),
    queueBytes: new Gauge({
      name: 'obsmon_exporter_queue_bytes',
      help: 'Bytes of the reports waiting to be sent or acknowledged (bounded by --queue-max-bytes)',
      registers,
      collect() {
        this.set(queue().bytes);
      },
    }),
    queueOldest: new Gauge({
      name: 'obsmon_exporter_queue_oldest_timestamp_seconds',
      help: 'Agent time of the oldest report waiting to be sent; 0 when none',
      registers,
      collect() {
        this.set(queue().oldestTimestamp ?? 0);
      },
    }),
    queueDiskBytes: new Gauge({
      name: 'obsmon_exporter_queue_disk_bytes',
      help: 'Bytes of the --queue-dir files; 0 without one',
      registers,
      collect() {
        this.set(queue().diskBytes ?? 0);
      },
    }),
    queueWriteFailures: new Counter({
      name: 'obsmon_exporter_queue_write_failures_total',
      help: 'Failed writes or fsyncs of --queue-dir (the reports are sent anyway, not durable until a later write succeeds)',
      registers,
    }),
    connected: new Gauge({
      name: 'obsmon_exporter_connected',
      help: '1 while connected to a bridge, else 0',
      registers,
    }),
    connectFailures: new Counter({
      name: 'obsmon_exporter_connect_failures_total',
      help: 'Failed connection attempts',
      registers,
    }),
    disconnects: new Counter({
      name: 'obsmon_exporter_disconnects_total',
      help: 'Established connections lost',
      registers,
    }),
    errReplies: new Counter({
      name: 'obsmon_exporter_err_replies_total',
      help: 'ERR replies from the bridge, by reject reason (other = not a known reason)',
      labelNames: ['reason'] as const,
      registers,
    }),
  };
  // Zero-initialised label values, so rate() and absent-series alerts work from the first scrape.
  for (const name of collectorNames) {
    m.collectorDuration.labels(name).set(0);
    m.collectorSuccess.labels(name).set(0);
  }
  for (const reason of DROP_REASONS) m.dropped.labels(reason).inc(0);
  for (const reason of TEXTFILE_SKIP_REASONS) m.textfileSkipped.labels(reason).inc(0);
  for (const reason of [...ERR_REASONS, 'other']) m.errReplies.labels(reason).inc(0);
  m.connected.set(0);
  return {
    ...m,
    /** How a collector did in this cycle (one of `collectorNames`). */
    collectorOutcome(name: string, seconds: number, ok: boolean): void {
      const outcome = outcomes.get(name);
      if (outcome === undefined) return;
      outcome.seconds = seconds;
      outcome.ok = ok ? 1 : 0;
    },
    errReply(reason: ErrReason | 'other'): void {
      // A closed set whatever a peer writes: parseReply maps unknown words to `other`.
      m.errReplies.labels(reason).inc();
    },
  };
}

export type ExporterMetrics = ReturnType<typeof createExporterMetrics>;
