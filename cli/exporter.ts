import { ConfigError } from '../config/config-error.ts';
import { loadOptions } from '../config/load.ts';
import { collectOnce, startExporter } from '../exporter/agent.ts';
import { checkExporterOptions } from '../exporter/check-options.ts';
import { exporterOptionSpecs } from '../exporter/options.ts';
import { createLogger } from '../lib/logger.ts';
import { onReloadSignal } from './reload-signal.ts';
import { waitForShutdownSignal } from './shutdown-signal.ts';
import { formatUsage } from './usage.ts';

const SUMMARY =
  "The agent: reads this machine's CPU, memory, disk, network, load and processes and pushes one line per interval to a bridge.";

/** `obsmon exporter`: returns the exit status (0, or 2 for a configuration error). */
export async function exporterCommand(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  try {
    const loaded = loadOptions(exporterOptionSpecs, argv, env);
    if (loaded.help) {
      process.stdout.write(formatUsage('obsmon exporter', SUMMARY, exporterOptionSpecs));
      return 0;
    }
    const options = loaded.values;
    const log = createLogger('exporter', options.logLevel);
    for (const warning of loaded.warnings) log.warn(warning);
    checkExporterOptions(options);
    if (options.once) {
      process.stdout.write(`${await collectOnce(options, log)}\n`);
      return 0;
    }
    // The agent reads no file it could reload; SIGHUP (a closed terminal, a stray ExecReload) must not end it.
    const stopReloads = onReloadSignal(() =>
      log.info('SIGHUP received: the exporter has nothing to reload (restart it to change options); carrying on'),
    );
    // Listening before start-up: the first report (and its log lines) may go out before startExporter
    // returns, and a SIGTERM from then on must end the agent cleanly, not by the default action.
    const shutdown = waitForShutdownSignal();
    const exporter = await startExporter(options, log);
    const signal = await shutdown;
    log.info(`${signal} received, shutting down`);
    stopReloads();
    await exporter.stop();
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`obsmon exporter: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}
