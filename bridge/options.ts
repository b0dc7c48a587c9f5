import { z } from 'zod';
import { address, logLevel, optionalPath, port, positiveInt, seconds } from '../config/common-schemas.ts';
import { option, type OptionValues } from '../config/option.ts';
import { securityOptionSpecs } from './security-options.ts';

/** Default agent TCP port; agents default to it too (exporter `--server`). */
export const DEFAULT_INGEST_PORT = 7070;
/** Default port of `/metrics`, the API and the status page. */
export const DEFAULT_HTTP_PORT = 7080;

const DAY = 86_400;

export const bridgeOptionSpecs = {
  bind: option('string', address, '0.0.0.0', 'Address both listeners bind to (agent TCP and HTTP)', '<addr>'),
  ingestPort: option('number', port, DEFAULT_INGEST_PORT, 'Agent TCP port (protocol v1)', '<n>'),
  httpPort: option('number', port, DEFAULT_HTTP_PORT, 'HTTP port: /metrics, /healthz, /api/v1, status page', '<n>'),
  maxLineBytes: option('number', positiveInt(1_048_576), 4096, 'Longer lines are discarded (too_long); the connection goes on', '<bytes>'),
  maxConnections: option('number', positiveInt(1_000_000), 10_000, 'Agent connections held at once; more are refused', '<n>'),
  idleTimeout: option('number', seconds(1, DAY), 300, 'Close an agent connection silent for this long', '<seconds>'),
  maxNodes: option('number', positiveInt(10_000_000), 100_000, 'Distinct nodes kept; reports of further nodes are rejected (too_many_nodes)', '<n>'),
  maxSeriesPerNode: option('number', positiveInt(100_000), 256, 'Distinct key@qualifier per node; further ones are dropped (too_many_series)', '<n>'),
  backfillWindow: option('number', seconds(0, 365 * DAY), DAY, 'Accept replayed reports this old; older are rejected (too_old)', '<seconds>'),
  futureTolerance: option('number', seconds(0, DAY), 60, 'Timestamps further ahead mean a broken agent clock: receive time is used', '<seconds>'),
  downAfter: option('number', seconds(1, DAY), 60, 'A node with no report for this long is down (obsmon_node_up 0; its values leave /metrics)', '<seconds>'),
  forgetAfter: option('number', seconds(1, 365 * DAY), DAY, 'A down node not in the inventory is removed entirely after this long', '<seconds>'),
  inventory: option('string', optionalPath, undefined, 'YAML list of expected nodes (name, group, critical); they exist from start-up', '<file>'),
  enforceInventory: option('boolean', z.boolean({ error: 'expected true or false' }), false, 'Reject reports of nodes not in the inventory (unknown_node)'),
  thresholds: option('string', optionalPath, undefined, 'YAML warning/error levels per metric, group and node (default: the built-in config/thresholds.yaml)', '<file>'),
  errReplies: option('boolean', z.boolean({ error: 'expected true or false' }), true, 'Write "ERR <reason>" back to agents for rejected lines (rate-limited)'),
  streamWindow: option('number', positiveInt(10_000_000), 20_000, 'Events kept for /api/v1/stream clients that reconnect with Last-Event-ID', '<events>'),
  streamMaxBufferedBytes: option('number', positiveInt(1 << 30), 1 << 20, 'A stream subscriber this far behind is disconnected (ingest never waits)', '<bytes>'),
  logLevel: option('string', logLevel, 'info', 'debug, info, warn or error', '<level>'),
  ...securityOptionSpecs,
};

export type BridgeOptions = OptionValues<typeof bridgeOptionSpecs>;
