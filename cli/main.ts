import { dispatch, type Command, type Commands } from './dispatch.ts';
import { EXPORTER_COMMAND } from './exporter-summary.ts';

// A command's modules load when it runs: `obsmon exporter` (or --help) never loads the bridge, its HTTP
// stack or the RTS2 device, nor the bridge the agent's collectors, and in the compiled CLI
// (deploy/build/cli-bundle.ts) each is its own chunk.
const lazy =
  (load: () => Promise<Command>): Command =>
  async (argv, env) =>
    (await load())(argv, env);

const COMMANDS: Commands = new Map([
  [
    'bridge',
    {
      run: lazy(async () => (await import('./bridge.ts')).bridgeCommand),
      summary: 'central server: agent TCP ingest, /metrics, /api/v1, status page',
    },
  ],
  ['exporter', { run: lazy(async () => (await import('./exporter.ts')).exporterCommand), summary: EXPORTER_COMMAND }],
  [
    'demo',
    {
      run: lazy(async () => (await import('./demo.ts')).demoCommand),
      summary: 'bridge and a local exporter in one process, on loopback',
    },
  ],
  [
    'rts2-sensord',
    {
      run: lazy(async () => (await import('./rts2-sensord.ts')).rts2SensordCommand),
      summary: 'RTS2 device showing cluster health in rts2-mon (registers with rts2-centrald)',
    },
  ],
  [
    'check-config',
    {
      run: lazy(async () => (await import('./check-config.ts')).checkConfigCommand),
      summary: 'check-config <command> [options]: validate the files and options it would load (no network)',
    },
  ],
]);

/** Entry point of the `obsmon` executable; returns the process exit status. */
export function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return dispatch(COMMANDS, argv, env);
}
