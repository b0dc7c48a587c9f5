import { ConfigError } from '../config/config-error.ts';
import { loadOptions } from '../config/load.ts';
import { createLogger } from '../lib/logger.ts';
import { sensordOptionSpecs } from '../rts2-sensord/options.ts';
import { rts2Argv } from '../rts2-sensord/rts2-argv.ts';
import { startSensord, type RunningSensord } from '../rts2-sensord/sensord.ts';
import { onReloadSignal } from './reload-signal.ts';
import { waitForShutdownSignal } from './shutdown-signal.ts';
import { formatUsage } from './usage.ts';

const SUMMARY = [
  'An RTS2 device (SENSOR) showing cluster health in rts2-mon: registers with rts2-centrald,',
  'reads the obsmon bridge, flags values over their thresholds and sets HW ERROR for critical nodes.',
  'RTS2 habits work too: -d <name> = --device, --debug = --log-level debug, -i is ignored.',
].join('\n');

export async function rts2SensordCommand(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  try {
    const loaded = loadOptions(sensordOptionSpecs, rts2Argv(argv), env);
    if (loaded.help) {
      process.stdout.write(formatUsage('obsmon rts2-sensord', SUMMARY, sensordOptionSpecs));
      return 0;
    }
    const options = loaded.values;
    const log = createLogger('rts2-sensord', options.logLevel);
    for (const warning of loaded.warnings) log.warn(warning);
    if (options.observatoryVeto !== 'none') {
      log.warn(
        `--observatory-veto ${options.observatoryVeto}: a cluster error will make rts2-centrald close the observatory`,
      );
    }
    // Listening before start-up: a SIGHUP then is kept for after it.
    let device: RunningSensord | undefined;
    let reloadPending = false;
    const stopReloads = onReloadSignal(() => {
      log.info('SIGHUP received, reloading the thresholds file');
      if (device === undefined) reloadPending = true;
      else device.reloadThresholds();
    });
    // A SIGTERM during start-up (a stop while registering) ends the device cleanly once it is up.
    const shutdown = waitForShutdownSignal();
    try {
      device = await startSensord(options, log);
    } catch (error) {
      stopReloads();
      throw error;
    }
    if (reloadPending) device.reloadThresholds();
    log.info(
      `Device ${options.device} listening on port ${device.port}, registering with rts2-centrald ${options.server}, reading ${options.bridge}`,
    );
    const signal = await shutdown;
    log.info(`${signal} received, shutting down`);
    stopReloads();
    await device.stop();
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`obsmon rts2-sensord: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}
