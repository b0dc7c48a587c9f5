import { randomBytes } from 'node:crypto';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ReportSink } from '../ingest/line-handler.ts';
import type { NodeTable } from '../state/node-table.ts';
import { StatusTracker, type StatusChange } from '../state/status-tracker.ts';
import type { Status } from '../../protocol/status.ts';
import { EventLog } from './event-log.ts';
import { reportEventJson } from './report-event-json.ts';
import { ReportInterest } from './report-interest.ts';
import { STREAM_REFUSE_REASONS, streamHandler } from './stream.ts';
import { STREAM_DROP_REASONS, StreamHub } from './stream-hub.ts';

/**
 * A node's report events are built while someone can read them: a stream subscriber that wants them,
 * or one within this long before (a client reconnecting with Last-Event-ID resumes without loss).
 * Status events always are.
 */
export const REPORT_EVENTS_GRACE_MS = 60_000;

export interface LiveEventsOptions {
  readonly windowEvents: number;
  readonly maxBufferedBytes: number;
  readonly maxSubscribers: number;
  readonly maxTotalBufferedBytes: number;
  /** Distinct node names the stream's `?node=` filters may hold; past it a filter holds every node. */
  readonly maxWatchedNodes: number;
  readonly downAfterMs: number;
  readonly now: () => number;
  /** Every status change as it is appended (the event log, bridge/state/event-recorder.ts). */
  readonly onStatusChange?: (change: StatusChange) => void;
}

/**
 * Feeds the event log from ingest (its `record`, a ReportSink: every report, every threshold
 * crossing) and from a 1 s sweep (nodes going down), and builds the `/api/v1/stream` handler on it.
 */
export function createLiveEvents(table: NodeTable, registry: Registry, options: LiveEventsOptions) {
  const log = new EventLog(options.windowEvents, randomBytes(4).toString('hex'));
  const tracker = new StatusTracker(table, options.downAfterMs);
  const dropped = new Counter({
    name: 'obsmon_bridge_stream_dropped_subscribers_total',
    help: 'Stream subscribers disconnected, by reason: slow (too far behind), total_buffered (all subscribers together held too much), stalled (socket took nothing for 60 s)',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const refused = new Counter({
    name: 'obsmon_bridge_stream_refused_subscribers_total',
    help: 'Stream subscriptions refused (503), by reason',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  for (const reason of STREAM_DROP_REASONS) dropped.labels(reason).inc(0);
  for (const reason of STREAM_REFUSE_REASONS) refused.labels(reason).inc(0);
  const hub = new StreamHub(
    log,
    {
      maxBufferedBytes: options.maxBufferedBytes,
      maxTotalBufferedBytes: options.maxTotalBufferedBytes,
      heartbeatMs: 15_000,
      stallMs: 60_000,
    },
    dropped,
  );
  new Gauge({
    name: 'obsmon_bridge_stream_subscribers',
    help: 'Open /api/v1/stream connections',
    registers: [registry],
    collect() {
      this.set(hub.size);
    },
  });
  new Gauge({
    name: 'obsmon_bridge_stream_buffered_bytes',
    help: 'Bytes written to stream subscribers that their sockets have not sent yet, all subscribers together',
    registers: [registry],
    collect() {
      this.set(hub.bufferedBytes());
    },
  });

  const interest = new ReportInterest(REPORT_EVENTS_GRACE_MS, options.maxWatchedNodes);
  new Gauge({
    name: 'obsmon_bridge_stream_watched_nodes',
    help: 'Node names the stream subscribers filter on (their report events are built); bounded by --max-nodes',
    registers: [registry],
    collect() {
      this.set(interest.size);
    },
  });

  const flagged = new Map<string, Status>();
  const sink: ReportSink = {
    record(report) {
      const building = interest.wants(report.node, report.receivedAt);
      // The flagged statuses are only for the report event: without one the tracker need not name them.
      if (building) flagged.clear();
      const changes = tracker.onReport(report, building ? flagged : undefined);
      if (building) log.appendJson('report', report.node, reportEventJson(report, flagged), 'local');
      else log.skip();
      for (const change of changes) status(change);
    },
  };
  const status = (change: StatusChange) => {
    log.append('status', change.node, change);
    options.onStatusChange?.(change);
  };
  const stream = streamHandler(
    log,
    hub,
    interest,
    { maxSubscribers: options.maxSubscribers, now: options.now },
    refused,
  );
  return {
    log,
    hub,
    /** Whose report events are built (the bench holds it as a subscriber would). */
    interest,
    /** The sink LineHandler feeds. */
    reports: sink,
    /** Nodes gone silent become `down` status events; the bridge's one-second tick calls it (one wake-up, not one per part). */
    sweep() {
      const now = options.now();
      for (const change of tracker.sweep(now)) status(change);
      interest.prune(now);
    },
    handler: stream,
    stop() {
      hub.stop();
    },
  };
}
