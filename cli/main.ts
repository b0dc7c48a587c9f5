import { bridgeCommand } from './bridge.ts';
import { checkConfigCommand } from './check-config.ts';
import { demoCommand } from './demo.ts';
import { dispatch, type Commands } from './dispatch.ts';
import { EXPORTER_COMMAND, exporterCommand } from './exporter.ts';
import { rts2SensordCommand } from './rts2-sensord.ts';

const COMMANDS: Commands = new Map([
  ['bridge', { run: bridgeCommand, summary: 'central server: agent TCP ingest, /metrics, /api/v1, status page' }],
  ['exporter', { run: exporterCommand, summary: EXPORTER_COMMAND }],
  ['demo', { run: demoCommand, summary: 'bridge and a local exporter in one process, on loopback' }],
  [
    'rts2-sensord',
    {
      run: rts2SensordCommand,
      summary: 'RTS2 device showing cluster health in rts2-mon (registers with rts2-centrald)',
    },
  ],
  [
    'check-config',
    {
      run: checkConfigCommand,
      summary: 'check-config <command> [options]: validate the files and options it would load (no network)',
    },
  ],
]);

/** Entry point of the `obsmon` executable; returns the process exit status. */
export function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return dispatch(COMMANDS, argv, env);
}
