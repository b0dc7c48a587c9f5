import * as z from '../config/zod.ts';
import { startBridge } from '../bridge/bridge.ts';
import { bridgeOptionSpecs } from '../bridge/options.ts';
import { address, positiveInt } from '../config/common-schemas.ts';
import { ConfigError } from '../config/config-error.ts';
import { loadOptions } from '../config/load.ts';
import { option } from '../config/option.ts';
import { startExporter } from '../exporter/agent.ts';
import { exporterOptionSpecs } from '../exporter/options.ts';
import { createLogger } from '../lib/logger.ts';
import { DemoFleet } from './demo-fleet.ts';
import { onReloadSignal } from './reload-signal.ts';
import { waitForShutdownSignal } from './shutdown-signal.ts';
import { urlHost } from './url-host.ts';
import { formatUsage } from './usage.ts';

const SUMMARY =
  'A bridge and an exporter for this machine in one process, on loopback, with no database: the quickest look at obsmon.';

/** The bridge's options (loopback by default) plus the exporter's node name and interval. */
const demoOptionSpecs = {
  ...bridgeOptionSpecs,
  bind: option('string', address, '127.0.0.1', 'Address both listeners bind to (agent TCP and HTTP)', '<addr>'),
  node: exporterOptionSpecs.node,
  interval: exporterOptionSpecs.interval,
  simulate: option(
    'number',
    z.union([positiveInt(1000), z.literal(0)]),
    0,
    'Also report this many simulated nodes (sim-tcs, sim-ccd01, …; made-up values) for a look at a fleet',
    '<n>',
  ),
};

export async function demoCommand(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  try {
    const loaded = loadOptions(demoOptionSpecs, argv, env);
    if (loaded.help) {
      process.stdout.write(formatUsage('obsmon demo', SUMMARY, demoOptionSpecs));
      return 0;
    }
    const options = loaded.values;
    const log = createLogger('demo', options.logLevel);
    for (const warning of loaded.warnings) log.warn(warning);
    // A Ctrl-C while starting stops the demo cleanly once it is up, not by the default action.
    const shutdown = waitForShutdownSignal();
    const bridge = await startBridge(options, log.child('bridge'));
    const stopReloads = onReloadSignal(() => bridge.reload());
    const ingestHost = urlHost(bridge.ingestAddress.address);
    // The exporter takes its defaults like `obsmon exporter` with no flags, pointed at this bridge.
    const exporterDefaults = loadOptions(exporterOptionSpecs, [], {}).values;
    const exporter = await startExporter(
      {
        ...exporterDefaults,
        server: [`${ingestHost}:${bridge.ingestAddress.port}`],
        node: options.node,
        interval: options.interval,
        logLevel: options.logLevel,
      },
      log.child('exporter'),
    );
    const fleet =
      options.simulate === 0
        ? undefined
        : new DemoFleet(
            ingestHost.replace(/^\[|\]$/g, ''),
            bridge.ingestAddress.port,
            options.simulate,
            options.interval,
          );
    const http = `http://${urlHost(bridge.httpAddress.address)}:${bridge.httpAddress.port}`;
    process.stdout.write(
      [
        `obsmon demo: node "${options.node}"${fleet === undefined ? '' : ` and ${options.simulate} simulated nodes`} report every ${options.interval} s to the bridge; nothing is persisted.`,
        `  Status page  ${http}/`,
        `  Prometheus   ${http}/metrics`,
        `  JSON API     ${http}/api/v1/nodes`,
        `  Live stream  ${http}/api/v1/stream`,
        `  Agent port   tcp://${ingestHost}:${bridge.ingestAddress.port}   try: echo "mynode $(date +%s) cpu=12.5 disk=81" | nc -N ${ingestHost.replace(/^\[|\]$/g, '')} ${bridge.ingestAddress.port}`,
        'Press Ctrl-C to stop.',
        '',
      ].join('\n'),
    );
    const signal = await shutdown;
    log.info(`${signal} received, shutting down`);
    fleet?.stop();
    stopReloads();
    await exporter.stop();
    await bridge.stop();
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`obsmon demo: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}
