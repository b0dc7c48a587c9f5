import { randomBytes } from 'node:crypto';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { LineHandler } from '../ingest/line-handler.ts';
import { seriesId, type NodeTable } from '../state/node-table.ts';
import { StatusTracker } from '../state/status-tracker.ts';
import type { Thresholds } from '../state/thresholds.ts';
import { EventLog } from './event-log.ts';
import { streamHandler } from './stream.ts';

export interface LiveEventsOptions {
  readonly windowEvents: number;
  readonly maxBufferedBytes: number;
  readonly downAfterMs: number;
  readonly now: () => number;
}

/**
 * Feeds the event log from ingest (every report, every threshold crossing) and from a 1 s sweep
 * (nodes going down), and builds the `/api/v1/stream` handler on it.
 */
export function createLiveEvents(lines: LineHandler, table: NodeTable, thresholds: Thresholds, registry: Registry, options: LiveEventsOptions) {
  const log = new EventLog(options.windowEvents);
  const tracker = new StatusTracker(table, thresholds, options.downAfterMs);
  const dropped = new Counter({ name: 'obsmon_bridge_stream_dropped_subscribers_total', help: 'Stream subscribers disconnected for falling behind', registers: [registry] });
  new Gauge({
    name: 'obsmon_bridge_stream_subscribers',
    help: 'Open /api/v1/stream connections',
    registers: [registry],
    collect() {
      this.set(log.subscriberCount);
    },
  });

  const unsubscribe = lines.onReport((report) => {
    const values = Object.fromEntries(report.samples.map((s) => [seriesId(s.key, s.qualifier), s.value]));
    log.append('report', report.node, { node: report.node, timestamp: report.timestamp, values });
    for (const change of tracker.onReport(report)) log.append('status', change.node, change);
  });
  const sweeper = setInterval(() => {
    for (const change of tracker.sweep(options.now())) log.append('status', change.node, change);
  }, 1000);
  sweeper.unref();

  const instance = randomBytes(4).toString('hex');
  return {
    log,
    handler: streamHandler(log, { maxBufferedBytes: options.maxBufferedBytes, heartbeatMs: 15_000, instance }, dropped),
    stop() {
      clearInterval(sweeper);
      unsubscribe();
    },
  };
}
