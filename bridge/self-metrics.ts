import { Counter, Gauge, type Registry } from 'prom-client';
import { registerBuildInfo } from '../lib/build-info.ts';
import { REJECT_REASONS } from '../protocol/reject-reasons.ts';

export const CONNECTION_REJECT_REASONS = [
  'max_connections',
  'max_per_source',
  'source_not_allowed',
  'unauthenticated',
  'bad_token',
  'tls_handshake',
  'tls_handshake_timeout',
  'max_unauthenticated',
] as const;
export const STATE_RESTORE_DROP_REASONS = [
  'invalid_file',
  'unknown_node',
  'too_many_nodes',
  'too_many_series',
] as const;
export const CONNECTION_CLOSE_REASONS = [
  'peer',
  'idle',
  'error',
  'slow',
  'unauthenticated',
  'auth_timeout',
  'shutdown',
] as const;

/** A counter without labels that the hot path bumps. */
export interface HotCounter {
  inc(value?: number): void;
}

/**
 * A label-less counter counted per line: a plain number, handed to prom-client when the registry is
 * read (its `collect`), because prom-client's own inc() makes two objects per call.
 */
function hotCounter(registry: Registry, name: string, help: string): HotCounter {
  let pending = 0;
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      if (pending === 0) return;
      this.inc(pending);
      pending = 0;
    },
  });
  return {
    inc(value = 1) {
      pending += value;
    },
  };
}

/** The bridge's own ingest counters; every limit and every rejection has one. */
export function createSelfMetrics(registry: Registry) {
  registerBuildInfo(registry);
  const m = {
    lines: hotCounter(registry, 'obsmon_bridge_lines_total', 'Non-blank lines received from agents'),
    accepted: hotCounter(
      registry,
      'obsmon_bridge_reports_accepted_total',
      'Reports accepted (stored in the live table)',
    ),
    rejected: new Counter({
      name: 'obsmon_bridge_rejected_lines_total',
      help: 'Lines refused, by reason (see docs/protocol.md)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    droppedSamples: new Counter({
      name: 'obsmon_bridge_dropped_samples_total',
      help: 'Values dropped from otherwise accepted reports, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    outOfOrder: new Counter({
      name: 'obsmon_bridge_reports_out_of_order_total',
      help: "Accepted reports older than the node's newest (replayed backlog); stored, not shown as live",
      registers: [registry],
    }),
    clockAhead: new Counter({
      name: 'obsmon_bridge_reports_clock_ahead_total',
      help: 'Accepted reports stamped beyond the future tolerance; stored at receive time',
      registers: [registry],
    }),
    connections: new Gauge({
      name: 'obsmon_bridge_connections',
      help: 'Agent connections open now',
      registers: [registry],
    }),
    connectionsOpened: new Counter({
      name: 'obsmon_bridge_connections_total',
      help: 'Agent connections accepted',
      registers: [registry],
    }),
    connectionsRejected: new Counter({
      name: 'obsmon_bridge_connections_rejected_total',
      help: 'Agent connections refused, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    connectionsClosed: new Counter({
      name: 'obsmon_bridge_connections_closed_total',
      help: 'Agent connections closed, by reason',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    errRepliesSkipped: new Counter({
      name: 'obsmon_bridge_err_replies_skipped_total',
      help: 'ERR replies not written because the agent does not read its socket or was rate-limited',
      registers: [registry],
    }),
    unprocessedLines: new Counter({
      name: 'obsmon_bridge_unprocessed_lines_total',
      help: 'Lines read from an agent and held for the line budget, not handled because the bridge closed the connection',
      registers: [registry],
    }),
    paused: new Counter({
      name: 'obsmon_bridge_connection_pauses_total',
      help: 'Times an agent connection was paused for exceeding --max-lines-per-second (backpressure; nothing dropped)',
      registers: [registry],
    }),
    ingestTurnYields: new Counter({
      name: 'obsmon_bridge_ingest_turn_yields_total',
      help: 'Event-loop turns that ended with agent connections paused for the shared per-turn line budget, so HTTP and timers ran before they resumed (nothing dropped)',
      registers: [registry],
    }),
    nodesForgotten: new Counter({
      name: 'obsmon_bridge_nodes_forgotten_total',
      help: 'Nodes removed after forget-after',
      registers: [registry],
    }),
    probes: new Gauge({
      name: 'obsmon_bridge_probes',
      help: 'Agentless devices the bridge probes (inventory entries with probe:)',
      registers: [registry],
    }),
    probeRuns: new Counter({
      name: 'obsmon_bridge_probe_runs_total',
      help: 'Probes of agentless devices, by kind (tcp, http) and result (up, down; skipped: due again while still waiting for a slot or running)',
      labelNames: ['kind', 'result'] as const,
      registers: [registry],
    }),
    stateSaves: new Counter({
      name: 'obsmon_bridge_state_saves_total',
      help: 'Saves of the node table to --state-file, by result (ok, failed)',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    stateRestoredNodes: new Gauge({
      name: 'obsmon_bridge_state_restored_nodes',
      help: 'Nodes restored from --state-file at start-up',
      registers: [registry],
    }),
    stateRestoreDropped: new Counter({
      name: 'obsmon_bridge_state_restore_dropped_total',
      help: 'What start-up did not restore from --state-file, by reason (invalid_file counts files; the others nodes or series beyond the limits)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
  };
  // Zero-initialise every label value so rate() and absent-series alerts work from the first scrape.
  for (const reason of REJECT_REASONS) m.rejected.labels(reason).inc(0);
  m.droppedSamples.labels('too_many_series').inc(0);
  m.droppedSamples.labels('too_many_custom_keys').inc(0);
  for (const reason of CONNECTION_REJECT_REASONS) m.connectionsRejected.labels(reason).inc(0);
  for (const reason of CONNECTION_CLOSE_REASONS) m.connectionsClosed.labels(reason).inc(0);
  for (const result of ['ok', 'failed']) m.stateSaves.labels(result).inc(0);
  for (const kind of ['tcp', 'http'])
    for (const result of ['up', 'down', 'skipped']) m.probeRuns.labels(kind, result).inc(0);
  for (const reason of STATE_RESTORE_DROP_REASONS) m.stateRestoreDropped.labels(reason).inc(0);
  return m;
}

export type SelfMetrics = ReturnType<typeof createSelfMetrics>;
