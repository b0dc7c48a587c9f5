import { parseLine, type Report } from '../../protocol/line.ts';
import type { RejectReason } from '../../protocol/reject-reasons.ts';
import type { RateLimitedLog } from '../../lib/rate-limited-log.ts';
import type { AcceptedReport, NodeTable } from '../state/node-table.ts';
import type { SelfMetrics } from '../self-metrics.ts';
import type { Grant } from './token-grants.ts';

/** Where an accepted report goes after the node table: storage and history, the live stream. */
export interface ReportSink {
  record(report: AcceptedReport): void;
}

/**
 * One line, start to end: decode, check against the table's limits, update the table, hand the
 * accepted report to each sink in order (wired in bridge/bridge.ts). Returns the reason a line was
 * refused (for the optional `ERR` reply), or undefined when it was taken.
 */
export class LineHandler {
  constructor(
    private readonly table: NodeTable,
    private readonly sinks: readonly ReportSink[],
    private readonly metrics: SelfMetrics,
    private readonly log: RateLimitedLog,
    private readonly now: () => number = Date.now,
  ) {}

  /** `grant` limits the nodes an authenticated connection may report for; `agent` is its `AGENT` token. */
  handle(text: string, source: string, grant?: Grant, agent?: string): RejectReason | 'too_many_series' | undefined {
    if (text === '' || text === '\r') return undefined;
    this.metrics.lines.inc();
    const parsed = parseLine(text);
    if (!parsed.ok) return this.reject(parsed.reason, `${parsed.detail} from ${source}`);
    if (grant !== undefined && !grant.allows(parsed.report.node)) {
      return this.reject(
        'forbidden_node',
        `node "${parsed.report.node}" not granted to ${grant.label} (from ${source})`,
      );
    }
    return this.submit(parsed.report, source, agent);
  }

  /**
   * A decoded report, from here on exactly as an agent's line: the bridge's own probes
   * (bridge/probes/) report through this, so the table and every sink treat them alike.
   */
  submit(report: Report, source: string, agent?: string): RejectReason | 'too_many_series' | undefined {
    const outcome = this.table.accept(report, this.now(), agent);
    if (!outcome.ok) return this.reject(outcome.reason, `node "${report.node}" at ${report.timestamp} from ${source}`);

    this.metrics.accepted.inc();
    if (outcome.outOfOrder) this.metrics.outOfOrder.inc();
    if (outcome.clockAhead) {
      this.log.warn(
        `clock:${report.node}`,
        `Node "${report.node}" reports timestamps ${Math.round(report.timestamp - this.now() / 1000)} s ahead; using receive time (from ${source})`,
      );
      this.metrics.clockAhead.inc();
    }
    // Indexed: a for-of makes an iterator object per report.
    const sinks = this.sinks;
    for (let i = 0; i < sinks.length; i += 1) sinks[i]!.record(outcome.report);
    if (outcome.droppedCustomKeys > 0) {
      this.metrics.droppedSamples.labels('too_many_custom_keys').inc(outcome.droppedCustomKeys);
      this.log.warn(
        'too_many_custom_keys',
        `Dropped ${outcome.droppedCustomKeys} new custom keys of node "${report.node}": custom key limit reached (from ${source})`,
      );
    }
    if (outcome.droppedSamples > 0) {
      this.metrics.droppedSamples.labels('too_many_series').inc(outcome.droppedSamples);
      this.log.warn(
        'too_many_series',
        `Dropped ${outcome.droppedSamples} new series of node "${report.node}": series limit reached (from ${source})`,
      );
    }
    return outcome.droppedSamples > 0 || outcome.droppedCustomKeys > 0 ? 'too_many_series' : undefined;
  }

  /** A line longer than the limit was discarded by the framing layer. */
  overlong(bytes: number, source: string): RejectReason {
    this.metrics.lines.inc();
    return this.reject('too_long', `line of ${bytes}+ bytes from ${source}`);
  }

  /** Count and log a line refused before decoding (e.g. before authentication). */
  refuse(reason: RejectReason, detail: string): RejectReason {
    this.metrics.lines.inc();
    return this.reject(reason, detail);
  }

  /** Rate-limited warning for connection-level refusals. */
  logRefusal(key: string, message: string): void {
    this.log.warn(key, message);
  }

  private reject(reason: RejectReason, detail: string): RejectReason {
    this.metrics.rejected.labels(reason).inc();
    this.log.warn(reason, `Rejected line (${reason}): ${detail}`);
    return reason;
  }
}
