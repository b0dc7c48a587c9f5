import { ConfigError } from '../config/config-error.ts';
import type { BackoffOptions } from '../lib/backoff.ts';
import type { Logger } from '../lib/logger.ts';
import { AlertTracker, summaryText, worstType, type Alert } from './alert-tracker.ts';
import { BridgeFeed } from './bridge/bridge-feed.ts';
import { CentraldLink } from './centrald-link.ts';
import { ClientServer } from './client-server.ts';
import { ClusterValues } from './cluster-values.ts';
import type { DeviceControl } from './commands/command.ts';
import { deviceState, type DeviceState } from './device-state.ts';
import { DeviceLevels } from './levels.ts';
import { nodeReadings } from './node-readings.ts';
import { nodeSummaryReading } from './node-summary.ts';
import { parseServer, type SensordOptions } from './options.ts';
import { messageLine, stateLine } from './protocol/encode.ts';
import { systemError } from './protocol/return-codes.ts';
import { DEVICE_NOT_READY, MESSAGE_TYPE } from './protocol/state-bits.ts';
import { bridgeReading, countReadings, DEVICE_VALUE_NAMES, worstReadings } from './summary-readings.ts';
import { ThresholdValues } from './threshold-values.ts';
import { saveDefaultLevels } from '../config/thresholds.ts';
import { NodeAliases, ValueNames } from './value-names.ts';
import { ValueTable } from './value-table.ts';

/** More transitions than this in one cycle (a bridge restart, a switch failing) become one summary line. */
const MAX_MESSAGES_PER_CYCLE = 20;

/** Test seams; production uses the defaults. */
export interface SensordHooks {
  readonly now?: () => number;
  readonly centraldRetry?: BackoffOptions;
}

export interface RunningSensord {
  /** The client port actually listened on (useful with `--local-port 0`). */
  readonly port: number;
  readonly table: ValueTable;
  /** Re-read the thresholds file (SIGHUP) and re-evaluate; an invalid file is logged and the levels in use kept. */
  reloadThresholds(): boolean;
  stop(): Promise<void>;
}

/** Option combinations that cannot work, checked before anything is opened (also by `obsmon check-config`). */
export function checkSensordOptions(options: SensordOptions): { host: string; port: number } {
  const centraldAddress = parseServer(options.server);
  if (centraldAddress === undefined)
    throw new ConfigError(`Invalid --server ${JSON.stringify(options.server)}: expected <host[:port]>`);
  if (options.thresholdWrites === 'file' && options.thresholds === undefined) {
    throw new ConfigError(
      'Invalid --threshold-writes "file": requires --thresholds <file> (the built-in file is never rewritten)',
    );
  }
  return centraldAddress;
}

/** Build the device from validated options, listen for clients, then register and follow the bridge. */
export async function startSensord(
  options: SensordOptions,
  log: Logger,
  hooks: SensordHooks = {},
): Promise<RunningSensord> {
  const now = hooks.now ?? Date.now;
  const centraldAddress = checkSensordOptions(options);
  const thresholdsPath = options.thresholds;
  const levels = DeviceLevels.load(thresholdsPath);
  const table = new ValueTable();
  const names = new ValueNames();
  // infotime first, as every RTS2 daemon sends it (`Daemon::sendMetaInfo`); clients read data age from it.
  table.define('infotime', { type: 'time', description: 'time of last update', value: Number.NaN });
  table.define('uptime', { type: 'time', description: 'daemon uptime', value: now() / 1000 });
  const writeBack =
    thresholdsPath === undefined || options.thresholdWrites !== 'file'
      ? undefined
      : (metric: string, l: { warning: number; error: number }) => saveDefaultLevels(thresholdsPath, metric, l);
  const thresholdValues = new ThresholdValues(table, levels, writeBack);
  const ownNames = ['infotime', 'uptime', ...thresholdValues.names()];
  for (const name of ownNames) names.reserve(name);
  // No node alias may make one of the device's own names (`worst` -> `worst_cpu`).
  const aliases = new NodeAliases([...ownNames, ...DEVICE_VALUE_NAMES]);
  const alias = (node: string): string => {
    const fresh = !aliases.has(node);
    const a = aliases.alias(node);
    if (fresh && a !== node) log.info(`Node ${JSON.stringify(node)} is shown as ${a} (docs/rts2.md, "Names")`);
    return a;
  };
  const cluster = new ClusterValues(table, names);
  const alerts = new AlertTracker();
  let current: DeviceState = { state: DEVICE_NOT_READY, text: 'waiting for the bridge' };
  // Messages from before the centrald link exists (the first cycle).
  const heldMessages: string[] = [];

  const wantedNodes = new Set(options.nodes);
  const wantedGroups = new Set(options.groups);
  const feed = new BridgeFeed(
    {
      url: options.bridge,
      intervalMs: options.interval * 1000,
      timeoutMs: Math.max(2000, options.interval * 1000),
      maxNodes: options.maxNodes,
      wanted: (n) =>
        (wantedNodes.size === 0 || wantedNodes.has(n.node)) && (wantedGroups.size === 0 || wantedGroups.has(n.group)),
      now,
    },
    () => cycle(),
    log.child('bridge'),
  );

  const control: DeviceControl = {
    table,
    state: () => current,
    write(name, value) {
      if (!thresholdValues.owns(name)) return systemError('cannot set read-only value');
      const ret = thresholdValues.write(name, value);
      if (ret.code === 0) {
        log.info(
          `${name} set to ${value} by a client${writeBack === undefined ? ' (this device only)' : ` and saved to "${thresholdsPath}"`}`,
        );
        cycle();
      }
      return ret;
    },
  };
  // Created once the client port is known, since `register` announces it.
  let centrald: CentraldLink | undefined;
  const server = new ClientServer(
    control,
    (id, key) => centrald?.authorize(id, key) ?? false,
    !options.noauth,
    log.child('clients'),
  );

  function cycle(): void {
    const feedState = feed.state;
    const ctx = {
      now: now(),
      downAfterMs: feedState.downAfterMs,
      bridgeOk: feedState.ok,
      ...(feedState.lastOutage && { lastOutage: feedState.lastOutage }),
      levels,
      alias,
    };
    const known = [...feedState.nodes.values()].sort((a, b) => a.view.node.localeCompare(b.view.node));
    const groups = known.map((k) => ({
      node: k.view.node,
      alias: alias(k.view.node),
      group: k.view.group,
      readings: nodeReadings(k, ctx),
    }));
    const perNode = groups.flatMap((g) => g.readings);
    const deviceWide = [
      bridgeReading(feedState, options.bridge),
      ...countReadings(feedState, perNode),
      ...worstReadings(perNode),
    ];
    const readings = [...deviceWide, ...perNode];
    // Messages and the state always come from every reading; only the values shown differ.
    cluster.apply(options.nodeValues === 'full' ? readings : [...deviceWide, ...groups.map(nodeSummaryReading)]);
    if (feedState.lastSuccessAt !== undefined) table.set('infotime', feedState.lastSuccessAt / 1000);
    const problem = feedState.ok ? undefined : `obsmon bridge ${options.bridge}: ${feedState.error ?? 'no answer'}`;
    const next = deviceState(readings, { problem }, options.hwErrorFrom, options.observatoryVeto);
    const lines = table.takeChanges();
    // The text changes too ("2 of 39 nodes down" -> "3 of 39 ..."): rts2-mon shows it, so send both.
    if (next.state !== current.state || next.text !== current.text) {
      lines.push(stateLine(next.state, next.text));
      log.info(`State ${next.state} (${next.text})`);
    }
    current = next;
    server.broadcast(lines);
    centrald?.send(...lines);
    announce(alerts.track(readings));
  }

  function announce(list: readonly Alert[]): void {
    const shown = list.length > MAX_MESSAGES_PER_CYCLE ? list.slice(0, MAX_MESSAGES_PER_CYCLE - 1) : list;
    const lines = shown.map((a) => messageLine(now(), options.device, MESSAGE_TYPE[a.type], a.text));
    if (shown.length < list.length) {
      lines.push(
        messageLine(
          now(),
          options.device,
          MESSAGE_TYPE[worstType(list.slice(shown.length))],
          summaryText(list.slice(shown.length)),
        ),
      );
    }
    for (const a of shown) (a.type === 'info' ? log.info : log.warn)(a.text);
    // Messages go only to centrald, which forwards them to every monitor and logger (docs/rts2-wire.md §7).
    if (centrald === undefined) heldMessages.push(...lines);
    else centrald.message(...lines);
  }

  cycle();
  thresholdValues.define();
  const address = await server.listen(options.bind, options.localPort).catch((error: Error) => {
    throw new ConfigError(
      `Cannot listen for RTS2 clients on ${options.bind}:${options.localPort} (--bind, --local-port): ${error.message}`,
    );
  });
  centrald = new CentraldLink(
    {
      host: centraldAddress.host,
      port: centraldAddress.port,
      deviceName: options.device,
      advertisedHost: options.localhost,
      advertisedPort: address.port,
      retry: hooks.centraldRetry ?? { initialMs: 1000, maxMs: 60_000 },
    },
    {
      metaLines: () => table.metaLines(),
      stateLine: () => stateLine(current.state),
      authorizationResult: (id, ok) => server.authorizationResult(id, ok),
    },
    log.child('centrald'),
  );
  centrald.message(...heldMessages);
  centrald.start();
  feed.start();
  return {
    port: address.port,
    table,
    reloadThresholds() {
      let changed: number;
      try {
        changed = levels.reload(thresholdsPath);
      } catch (error) {
        log.error(`Reload: ${(error as Error).message}`);
        log.warn('Reload incomplete: thresholds: invalid, previous kept');
        return false;
      }
      thresholdValues.refresh();
      cycle();
      log.info(
        `Reloaded thresholds: ${changed === 0 ? 'unchanged' : `${changed} ${changed === 1 ? 'level' : 'levels'} changed`}`,
      );
      return true;
    },
    async stop() {
      feed.stop();
      centrald?.stop();
      await server.close();
    },
  };
}
