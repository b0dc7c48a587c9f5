import { z } from 'zod';
import { address, logLevel, optionalPath, port, positiveInt, seconds } from '../config/common-schemas.ts';
import { option, type OptionValues } from '../config/option.ts';
import { securityOptionSpecs } from './security-options.ts';
import { DEFAULT_HISTORY_MAX_POINTS, DEFAULT_HISTORY_POINTS } from './store/memory-history.ts';
import { byteSize, optionalText, optionalUrl } from './store/option-schemas.ts';
import { DEFAULT_REMOTE_WRITE_BATCH_SIZE } from './store/remote-write-config.ts';
import { DEFAULT_BATCH_SIZE, DEFAULT_FLUSH_INTERVAL_MS, DEFAULT_FSYNC_INTERVAL_MS } from './store/spooling-writer.ts';

/** Default agent TCP port; agents default to it too (exporter `--server`). */
export const DEFAULT_INGEST_PORT = 7070;
/** Default port of `/metrics`, the API and the status page. */
export const DEFAULT_HTTP_PORT = 7080;

const DAY = 86_400;

export const bridgeOptionSpecs = {
  bind: option('string', address, '0.0.0.0', 'Address both listeners bind to (agent TCP and HTTP)', '<addr>'),
  ingestPort: option('number', port, DEFAULT_INGEST_PORT, 'Agent TCP port (protocol v1)', '<n>'),
  httpPort: option('number', port, DEFAULT_HTTP_PORT, 'HTTP port: /metrics, /healthz, /api/v1, status page', '<n>'),
  httpMaxConnections: option('number', positiveInt(1_000_000), 2000, 'HTTP connections held at once (stream subscribers included); more are refused', '<n>'),
  httpRequestTimeout: option('number', seconds(0.1, 3600), 10, 'Close an HTTP connection whose request is not complete this long after it began (slowloris)', '<seconds>'),
  httpKeepAliveTimeout: option('number', seconds(0.1, 3600), 5, 'Close an idle keep-alive HTTP connection after this long', '<seconds>'),
  maxLineBytes: option('number', positiveInt(1_048_576), 4096, 'Longer lines are discarded (too_long); the connection goes on', '<bytes>'),
  maxConnections: option('number', positiveInt(1_000_000), 10_000, 'Agent connections held at once; more are refused', '<n>'),
  idleTimeout: option('number', seconds(1, DAY), 300, 'Close an agent connection silent for this long', '<seconds>'),
  shutdownGrace: option('number', seconds(0, 300), 5, 'At shutdown, read and store what connected agents already sent for at most this long', '<seconds>'),
  maxNodes: option('number', positiveInt(10_000_000), 100_000, 'Distinct nodes kept; reports of further nodes are rejected (too_many_nodes)', '<n>'),
  maxSeriesPerNode: option('number', positiveInt(100_000), 256, 'Distinct key@qualifier per node; further ones are dropped (too_many_series)', '<n>'),
  backfillWindow: option('number', seconds(0, 365 * DAY), DAY, 'Accept replayed reports this old; older are rejected (too_old)', '<seconds>'),
  futureTolerance: option('number', seconds(0, DAY), 60, 'Timestamps further ahead mean a broken agent clock: receive time is used', '<seconds>'),
  downAfter: option('number', seconds(1, DAY), 60, 'A node with no report for this long is down (obsmon_node_up 0; its values leave /metrics)', '<seconds>'),
  forgetAfter: option('number', seconds(1, 365 * DAY), DAY, 'A down node not in the inventory is removed entirely after this long', '<seconds>'),
  stateFile: option('string', optionalPath, undefined, 'File keeping the node table across restarts (last report, values); default <spool-dir>/nodes.json with --spool-dir, else none', '<file>'),
  stateInterval: option('number', seconds(0.1, 3600), 5, 'How often the node table is saved to the state file (and at a clean stop): the most a SIGKILL forgets', '<seconds>'),
  eventsFile: option('string', optionalPath, undefined, 'File keeping the event log (GET /api/v1/events) across restarts; default <spool-dir>/events.jsonl with --spool-dir, else none', '<file>'),
  eventsMax: option('number', positiveInt(10_000_000), 10_000, 'Events kept in the event log; past it the oldest go (counted)', '<n>'),
  eventsMaxAge: option('number', seconds(60, 10 * 365 * DAY), 90 * DAY, 'Events older than this leave the event log', '<seconds>'),
  inventory: option('string', optionalPath, undefined, 'YAML list of expected nodes (name, group, critical); they exist from start-up', '<file>'),
  enforceInventory: option('boolean', z.boolean({ error: 'expected true or false' }), false, 'Reject reports of nodes not in the inventory (unknown_node)'),
  maxConcurrentProbes: option('number', positiveInt(1000), 32, 'Probes of agentless devices (inventory probe:) running at once; the others wait their turn', '<n>'),
  thresholds: option('string', optionalPath, undefined, 'YAML warning/error levels per metric, group and node (default: the built-in config/thresholds.yaml)', '<file>'),
  safetyRules: option('string', optionalPath, undefined, 'YAML rules that make GET /api/v1/safety/indi answer unsafe (open_ok 0); without it the endpoint is advisory only', '<file>'),
  errReplies: option('boolean', z.boolean({ error: 'expected true or false' }), true, 'Write "ERR <reason>" back to agents for rejected lines (rate-limited)'),
  streamWindow: option('number', positiveInt(10_000_000), 20_000, 'Events kept for /api/v1/stream clients that reconnect with Last-Event-ID', '<events>'),
  streamMaxBufferedBytes: option('number', positiveInt(1 << 30), 1 << 20, 'A stream subscriber this far behind is disconnected (ingest never waits)', '<bytes>'),
  streamMaxSubscribers: option('number', positiveInt(1_000_000), 1000, 'Stream subscribers held at once; more are refused (503)', '<n>'),
  streamMaxTotalBufferedBytes: option('number', positiveInt(1 << 30), 64 << 20, 'Unsent stream bytes over all subscribers; past it the largest holder is disconnected', '<bytes>'),
  influxUrl: option('string', optionalUrl, undefined, 'InfluxDB base URL; with --influx-bucket (v2 API) or --influx-db (1.x API) every accepted report is stored', '<url>'),
  influxOrg: option('string', optionalText, undefined, 'InfluxDB v2 API: organisation (any name for InfluxDB 1.8)', '<org>'),
  influxBucket: option('string', optionalText, undefined, 'InfluxDB v2 API: bucket (<db>/<rp> for InfluxDB 1.8); selects the v2 API', '<bucket>'),
  influxToken: option('string', optionalText, undefined, 'InfluxDB v2 API: token (<user>:<password> for InfluxDB 1.8); prefer OBSMON_INFLUX_TOKEN', '<token>'),
  influxDb: option('string', optionalText, undefined, 'InfluxDB 1.x API: database; selects the 1.x API (/write)', '<db>'),
  influxRp: option('string', optionalText, undefined, 'InfluxDB 1.x API: retention policy (default: the database default)', '<rp>'),
  influxUser: option('string', optionalText, undefined, 'InfluxDB 1.x API: user', '<user>'),
  influxPassword: option('string', optionalText, undefined, 'InfluxDB 1.x API: password; prefer OBSMON_INFLUX_PASSWORD', '<password>'),
  influxBatchSize: option('number', positiveInt(100_000), DEFAULT_BATCH_SIZE, 'Points per InfluxDB write request', '<n>'),
  influxFlushInterval: option('number', seconds(0.01, 60), DEFAULT_FLUSH_INTERVAL_MS / 1000, 'Longest time an accepted report waits before it is written', '<seconds>'),
  influxTimeout: option('number', seconds(0.1, 300), 10, 'Deadline of one InfluxDB request', '<seconds>'),
  remoteWriteUrl: option('string', optionalUrl, undefined, 'Prometheus remote-write URL (e.g. http://prometheus:9090/api/v1/write); every accepted report is sent with its agent timestamp', '<url>'),
  remoteWriteBearerToken: option('string', optionalText, undefined, 'Remote write: bearer token; prefer OBSMON_REMOTE_WRITE_BEARER_TOKEN', '<token>'),
  remoteWriteUser: option('string', optionalText, undefined, 'Remote write: basic-auth user', '<user>'),
  remoteWritePassword: option('string', optionalText, undefined, 'Remote write: basic-auth password; prefer OBSMON_REMOTE_WRITE_PASSWORD', '<password>'),
  remoteWriteBatchSize: option('number', positiveInt(100_000), DEFAULT_REMOTE_WRITE_BATCH_SIZE, 'Samples per remote-write request', '<n>'),
  remoteWriteTimeout: option('number', seconds(0.1, 300), 10, 'Deadline of one remote-write request', '<seconds>'),
  spoolDir: option('string', optionalPath, undefined, 'Directory keeping points InfluxDB (and remote write, in its remote-write/ subdirectory) has not taken yet, across restarts (default: memory only, lost on restart)', '<dir>'),
  spoolMaxBytes: option('number', byteSize(1 << 20, 2 ** 40), 1 << 30, 'Spool size limit; past it the oldest points are dropped and counted (memory spool: at most 64 MiB)', '<bytes>'),
  spoolFsyncInterval: option('number', seconds(0.01, 10), DEFAULT_FSYNC_INTERVAL_MS / 1000, 'Spooled points are fsync\'d together this often: the most a SIGKILL loses while spooling', '<seconds>'),
  historyPoints: option('number', positiveInt(10_000_000), DEFAULT_HISTORY_POINTS, 'In-memory history kept per node and series, points (24 h at 10 s)', '<n>'),
  historyMaxPoints: option('number', positiveInt(1_000_000_000), DEFAULT_HISTORY_MAX_POINTS, 'In-memory history over all series, points (16 bytes each)', '<n>'),
  peers: option('list', z.array(z.url({ error: 'expected http(s) URLs of other bridges, e.g. http://bridge2:7080' })), [] as string[], 'Other bridges whose nodes the API, stream and page include (union view)', '<url>'),
  peerInterval: option('number', seconds(0.2, 3600), 2, 'How often peer bridges\' node lists are read', '<seconds>'),
  logLevel: option('string', logLevel, 'info', 'debug, info, warn or error', '<level>'),
  ...securityOptionSpecs,
};

export type BridgeOptions = OptionValues<typeof bridgeOptionSpecs>;
