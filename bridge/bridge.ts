import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Registry } from 'prom-client';
import { ConfigError } from '../config/config-error.ts';
import type { Logger } from '../lib/logger.ts';
import { plural } from '../lib/plural.ts';
import { RateLimitedLog } from '../lib/rate-limited-log.ts';
import { runtimeMetrics } from '../lib/runtime-metrics.ts';
import { createHttpApp } from './expose/http.ts';
import { createHttpServer } from './expose/http-server.ts';
import { httpAuth } from './expose/http-auth.ts';
import { eventsRoute } from './expose/events-route.ts';
import { createLiveEvents } from './expose/live-events.ts';
import { NodeCacheWarmer, nodeExpositionChunks } from './expose/node-exposition.ts';
import { ProbeScheduler } from './probes/probe-scheduler.ts';
import { LineHandler } from './ingest/line-handler.ts';
import { IngestServer } from './ingest/server.ts';
import { ingestOptions, tlsOptions } from './ingest/ingest-options.ts';
import type { BridgeOptions } from './options.ts';
import { createSelfMetrics } from './self-metrics.ts';
import { BridgeHealthWatch } from './state/bridge-health.ts';
import { BridgeTick } from './state/bridge-tick.ts';
import { ConfigReloader, type ReloadOutcome } from './state/config-reload.ts';
import { EventHistory, eventHistoryMetrics } from './state/event-history.ts';
import { eventsFilePath, startEventsFile } from './state/event-history-file.ts';
import { EventRecorder } from './state/event-recorder.ts';
import { readInventoryFile } from './state/inventory.ts';
import { maintenanceFilePath } from './state/maintenance-file.ts';
import { MaintenanceSchedule } from './state/maintenance-schedule.ts';
import { loadSafetyRules, unmatchedRules } from './state/safety-rules.ts';
import { stateFilePath } from './state/node-state-file.ts';
import { startNodeStateSaver } from './state/node-state-saver.ts';
import { CompiledThresholds } from './state/node-judge.ts';
import { NodeTable } from './state/node-table.ts';
import { loadThresholdsConfig, Thresholds } from '../config/thresholds.ts';
import { historyRoute } from './store/history-route.ts';
import { bufferPool } from './store/buffer-pool.ts';
import { createStore, type Store } from './store/store.ts';

export interface RunningBridge {
  readonly ingestAddress: AddressInfo;
  readonly tlsAddress: AddressInfo | undefined;
  readonly httpAddress: AddressInfo;
  readonly table: NodeTable;
  readonly lines: LineHandler;
  readonly registry: Registry;
  readonly thresholds: Thresholds;
  /** Maintenance windows in force (inventory and API): `stateOf(node, group, nowMs)`. */
  readonly maintenance: MaintenanceSchedule;
  /** InfluxDB writer and history (memory-only without a database). */
  readonly store: Store;
  /** The event log (GET /api/v1/events). */
  readonly events: EventHistory;
  /** Re-read the thresholds, inventory and safety rules files (SIGHUP); an invalid file keeps its previous content. */
  reload(): ReloadOutcome;
  /** Graceful stop: stop listening, handle what agents already sent (--shutdown-grace), store it, close, finish in-flight HTTP. */
  stop(): Promise<void>;
}

/** The bridge's tick (bridge/state/bridge-tick.ts): while nodes are known, and while none is (only the lag sample). */
const TICK_MS = 1000;
const IDLE_TICK_MS = 10_000;

/** Test seams; production uses the defaults. */
export interface BridgeHooks {
  readonly now?: () => number;
}

/** Option combinations that cannot work, checked before anything is opened (also by `obsmon check-config`). */
export function checkBridgeOptions(options: BridgeOptions): void {
  if (options.enforceInventory && options.inventory === undefined) {
    throw new ConfigError('Invalid --enforce-inventory true (from options): requires --inventory <file>');
  }
}

/** Build the bridge from validated options and start both listeners. */
export async function startBridge(
  options: BridgeOptions,
  log: Logger,
  hooks: BridgeHooks = {},
): Promise<RunningBridge> {
  const now = hooks.now ?? Date.now;
  checkBridgeOptions(options);
  const inventoryFile =
    options.inventory === undefined ? { nodes: new Map(), maintenance: [] } : readInventoryFile(options.inventory);
  const inventory = inventoryFile.nodes;
  const thresholdsConfig = loadThresholdsConfig(options.thresholds);
  const thresholds = new Thresholds(thresholdsConfig);
  const safetyRules = options.safetyRules === undefined ? [] : loadSafetyRules(options.safetyRules);
  if (options.inventory !== undefined)
    for (const w of unmatchedRules(safetyRules, inventory)) log.warn(`Safety rules ${options.safetyRules}: ${w}`);
  const statePath = stateFilePath(options);
  const eventsPath = eventsFilePath(options);
  const table = new NodeTable(
    {
      maxNodes: options.maxNodes,
      maxSeriesPerNode: options.maxSeriesPerNode,
      backfillWindowSeconds: options.backfillWindow,
      futureToleranceSeconds: options.futureTolerance,
      enforceInventory: options.enforceInventory,
      maxCustomKeysPerNode: options.maxCustomKeysPerNode,
    },
    inventory,
    // Every value is judged once, at ingest; the API, page, stream and RTS2 carry that status.
    new CompiledThresholds(thresholds).judge,
  );

  const registry = new Registry();
  const runtime = runtimeMetrics(
    registry,
    `the bridge's tick (due every ${TICK_MS} ms, ${IDLE_TICK_MS} ms while no node is known)`,
  );
  const metrics = createSelfMetrics(registry);
  // Runtime windows are kept next to the node state; without one they are memory only.
  const maintenanceLog = new RateLimitedLog(log.child('maintenance'));
  const maintenance = new MaintenanceSchedule(
    registry,
    now,
    statePath === undefined
      ? undefined
      : {
          path: maintenanceFilePath(statePath),
          onSaveError: (e) =>
            maintenanceLog.warn(
              'save',
              `Cannot save maintenance windows to ${maintenanceFilePath(statePath)}: ${e.message}`,
            ),
        },
  );
  for (const problem of maintenance.restore())
    log.warn(`Maintenance windows ${maintenanceFilePath(statePath!)}: ${problem}`);
  maintenance.replaceInventory(inventoryFile.maintenance);
  const downAfterMs = options.downAfter * 1000;
  const store = createStore(options, registry, log.child('store'));

  const forgetAfterMs = options.forgetAfter * 1000;
  function forget(): void {
    const removed = table.forget(now(), forgetAfterMs);
    if (removed > 0) {
      metrics.nodesForgotten.inc(removed);
      log.info(`Forgot ${plural(removed, 'node')} silent for more than ${options.forgetAfter} s`);
    }
  }

  // Before any listener: the restored table is what the first scrape, poll and report see, and a
  // restored node silent for longer than --forget-after goes at once.
  const nodeState =
    statePath === undefined
      ? undefined
      : await startNodeStateSaver(
          table,
          {
            path: statePath,
            intervalMs: options.stateInterval * 1000,
            maxNodes: options.maxNodes,
            maxSeriesPerNode: options.maxSeriesPerNode,
            now,
          },
          metrics,
          log.child('state'),
        );
  forget();
  const eventMetrics = eventHistoryMetrics(registry);
  const events = new EventHistory(
    { maxEvents: options.eventsMax, maxAgeSeconds: options.eventsMaxAge, now },
    eventMetrics,
  );
  const eventsFile =
    eventsPath === undefined
      ? undefined
      : await startEventsFile(
          events,
          { path: eventsPath, flushIntervalMs: 1000, maxEvents: options.eventsMax, now },
          eventMetrics,
          log.child('events'),
        );
  const recorder = new EventRecorder(
    events,
    table,
    downAfterMs,
    now,
    options.eventsMax + options.maxNodes,
    maintenance,
  );
  const health = new BridgeHealthWatch(registry, recorder);

  const live = createLiveEvents(table, registry, {
    windowEvents: options.streamWindow,
    maxBufferedBytes: options.streamMaxBufferedBytes,
    maxSubscribers: options.streamMaxSubscribers,
    maxTotalBufferedBytes: options.streamMaxTotalBufferedBytes,
    maxWatchedNodes: options.maxNodes,
    downAfterMs,
    now,
    onStatusChange: (change) => recorder.statusChange(change),
  });
  // The ingest path, in order: decode, node table, then each sink: storage and history, the live stream.
  // Agents' lines (IngestServer) and the bridge's own probes both enter it here.
  const lines = new LineHandler(table, [store, live.reports], metrics, new RateLimitedLog(log.child('ingest')), now);
  const probes = new ProbeScheduler(lines, metrics, log.child('probes'), {
    maxConcurrent: options.maxConcurrentProbes,
    now,
  });
  const files = new ConfigReloader(
    { thresholds: options.thresholds, inventory: options.inventory, safetyRules: options.safetyRules },
    {
      thresholds,
      thresholdsConfig,
      table,
      inventory,
      safetyRules,
      onInventory: (next) => probes.update(next),
      onMaintenance: (next) => maintenance.replaceInventory(next),
    },
    registry,
    log.child('config'),
  );
  const ingest = new IngestServer(
    lines,
    metrics,
    {
      ...ingestOptions(options),
      durable: () => store.durable(),
      sweepTick: { wake: () => tick.wake(), ride: (nowMs) => tick.ride(nowMs) },
    },
    log.child('ingest'),
  );
  // Every periodic task, on one timer (each wake-up is an idle bridge's cost): node down by time (also
  // across a restart), forget-after, slow senders, the event age bound, the store's health; the
  // event-loop lag sample. Armed before the listeners: a connection or a report wakes it.
  const forgetEveryMs = Math.min(forgetAfterMs, 60_000);
  let forgotAt = performance.now();
  // /metrics caches built ahead of the first scrape after a start (node-exposition.ts), in short slices.
  const warmer = new NodeCacheWarmer(table, () => files.thresholds);
  const tick = new BridgeTick({
    busyMs: TICK_MS,
    idleMs: IDLE_TICK_MS,
    // Without a node nothing goes down or is forgotten, without a connection no line is too slow; held
    // events age; a configured output is watched.
    busy: () => table.size > 0 || ingest.connectionCount > 0 || events.size > 0 || health.watching(),
    run: () => {
      // The old forget sweep's period (at the tick's resolution): up to a minute.
      if (performance.now() - forgotAt >= forgetEveryMs - TICK_MS / 2) {
        forgotAt = performance.now();
        forget();
      }
      ingest.sweep();
      live.sweep();
      recorder.reconcile();
      events.prune();
      bufferPool.trim();
      void health.check();
      warmer.poke();
    },
    late: (ms) => runtime.recordLag(ms),
  });
  table.onNodeAdded = () => tick.wake();
  // Loaded only with --peers: the SSE client and the node list's schemas are no part of a bridge without peers.
  const peers =
    options.peers.length === 0
      ? undefined
      : (await import('./peers/peers.ts')).startPeers(
          options.peers,
          options.peerInterval,
          live.log,
          log.child('peers'),
        );
  const httpLog = new RateLimitedLog(log.child('http'));
  const app = createHttpApp({
    ...(peers === undefined ? {} : { peerViews: peers.views }),
    registry,
    nodeExposition: () =>
      nodeExpositionChunks(table, files.thresholds, now(), {
        downAfterMs,
        maintenance: (node, group, at) => maintenance.stateOf(node, group, at),
      }),
    table,
    thresholds,
    downAfterMs,
    now,
    stream: live.handler,
    history: historyRoute(store.history, now),
    events: eventsRoute(events),
    auth: httpAuth(options.httpBearerTokens, options.httpBasicAuth),
    corsOrigins: options.corsOrigins,
    errorLog: httpLog,
    safetyRules: () => files.safetyRules,
    maintenance,
  });
  const http = createHttpServer(
    app,
    {
      maxConnections: options.httpMaxConnections,
      requestTimeoutMs: options.httpRequestTimeout * 1000,
      keepAliveTimeoutMs: options.httpKeepAliveTimeout * 1000,
    },
    registry,
    httpLog,
  );

  if (options.auth === 'off') {
    log.warn(
      `Agent authentication is off: any host that reaches port ${options.ingestPort} can report for any node (--auth, docs/security.md)`,
    );
  }
  const ingestAddress = await ingest.listen(options.bind, options.ingestPort).catch(async (error: Error) => {
    await nodeState?.stop();
    await eventsFile?.stop();
    await store.close();
    throw new ConfigError(
      `Cannot listen for agents on ${options.bind}:${options.ingestPort} (--bind, --ingest-port): ${error.message}`,
    );
  });
  const tlsAddress =
    options.tlsPort === undefined
      ? undefined
      : await ingest.listenTls(options.bind, options.tlsPort, tlsOptions(options)).catch(async (error: Error) => {
          await ingest.close();
          await nodeState?.stop();
          await eventsFile?.stop();
          await store.close();
          throw new ConfigError(
            `Cannot listen for TLS agents on ${options.bind}:${options.tlsPort} (--bind, --tls-port): ${error.message}`,
          );
        });
  const httpAddress = await listenHttp(http, options.bind, options.httpPort).catch(async (error: Error) => {
    await ingest.close();
    await nodeState?.stop();
    await eventsFile?.stop();
    await store.close();
    throw new ConfigError(
      `Cannot listen for HTTP on ${options.bind}:${options.httpPort} (--bind, --http-port): ${error.message}`,
    );
  });

  // Once everything listens: a probe result is a report, seen by /metrics, storage and the stream.
  probes.update(inventory);
  const reload = (): ReloadOutcome => {
    const outcome = files.reload();
    recorder.bridge(
      'config_reload',
      outcome.ok,
      outcome.ok ? outcome.summary : `${outcome.summary}: ${outcome.errors.join('; ')}`,
    );
    return outcome;
  };

  return {
    ingestAddress,
    tlsAddress,
    httpAddress,
    table,
    lines,
    registry,
    thresholds,
    maintenance,
    store,
    events,
    reload,
    async stop() {
      tick.stop();
      warmer.stop();
      table.onNodeAdded = undefined;
      probes.stop();
      live.stop();
      peers?.stop();
      // Drains every agent connection first (what was sent before the signal is handled), then resets them.
      await ingest.close();
      await nodeState?.stop();
      await eventsFile?.stop();
      // After ingest: no report arrives any more; what the database has not taken goes to the spool.
      await store.close();
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        // Stream subscribers never go idle by themselves.
        http.closeAllConnections();
      });
    },
  };
}

function listenHttp(server: Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}
