import { ConfigError } from '../config/config-error.ts';
import { loadOptions } from '../config/load.ts';
import { startBridge, type RunningBridge } from '../bridge/bridge.ts';
import { bridgeOptionSpecs } from '../bridge/options.ts';
import { createLogger } from '../lib/logger.ts';
import { onReloadSignal } from './reload-signal.ts';
import { waitForShutdownSignal } from './shutdown-signal.ts';
import { formatUsage } from './usage.ts';
import { urlHost } from './url-host.ts';

const SUMMARY = 'The central server: takes agent reports over TCP, serves /metrics, /api/v1 and a status page.';

export async function bridgeCommand(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  try {
    const loaded = loadOptions(bridgeOptionSpecs, argv, env);
    if (loaded.help) {
      process.stdout.write(formatUsage('obsmon bridge', SUMMARY, bridgeOptionSpecs));
      return 0;
    }
    const options = loaded.values;
    const log = createLogger('bridge', options.logLevel);
    for (const warning of loaded.warnings) log.warn(warning);
    // Listening before start-up: a SIGHUP then (systemd reloads a Type=simple unit at once) is kept for after it.
    let bridge: RunningBridge | undefined;
    let reloadPending = false;
    const stopReloads = onReloadSignal(() => {
      log.info('SIGHUP received, reloading the thresholds, inventory and safety rules files');
      if (bridge === undefined) reloadPending = true;
      else bridge.reload();
    });
    // A SIGTERM during start-up (replaying a spool can take a while) stops the bridge cleanly once it is up.
    const shutdown = waitForShutdownSignal();
    try {
      bridge = await startBridge(options, log);
    } catch (error) {
      stopReloads();
      throw error;
    }
    if (reloadPending) bridge.reload();
    const host = urlHost(bridge.httpAddress.address);
    log.info(
      `Agents: tcp://${urlHost(bridge.ingestAddress.address)}:${bridge.ingestAddress.port}  Metrics: http://${host}:${bridge.httpAddress.port}/metrics  Status: http://${host}:${bridge.httpAddress.port}/`,
    );
    log[bridge.store.summary.level](bridge.store.summary.text);
    const signal = await shutdown;
    log.info(`${signal} received, shutting down`);
    stopReloads();
    await bridge.stop();
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`obsmon bridge: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}
