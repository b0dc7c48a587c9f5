import { dispatch, type Commands } from './dispatch.ts';
import { exporterCommand } from './exporter.ts';
import { EXPORTER_COMMAND } from './exporter-summary.ts';

/** The packaged agent (deploy/package/): `obsmon exporter` alone, so the bundle holds no bridge code. */
const AGENT_COMMANDS: Commands = new Map([['exporter', { run: exporterCommand, summary: EXPORTER_COMMAND }]]);

export function agentMain(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  return dispatch(AGENT_COMMANDS, argv, env);
}
