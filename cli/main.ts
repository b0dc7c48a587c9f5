import { readFileSync } from 'node:fs';
import { bridgeCommand } from './bridge.ts';
import { checkConfigCommand } from './check-config.ts';
import { demoCommand } from './demo.ts';
import { exporterCommand } from './exporter.ts';
import { rts2SensordCommand } from './rts2-sensord.ts';

type Command = (argv: readonly string[], env: NodeJS.ProcessEnv) => Promise<number>;

const COMMANDS: Readonly<Record<string, { run: Command; summary: string }>> = {
  bridge: { run: bridgeCommand, summary: 'central server: agent TCP ingest, /metrics, /api/v1, status page' },
  exporter: { run: exporterCommand, summary: 'the agent: collects this machine\'s values and pushes them to a bridge' },
  demo: { run: demoCommand, summary: 'bridge and a local exporter in one process, on loopback' },
  'rts2-sensord': { run: rts2SensordCommand, summary: 'RTS2 device showing cluster health in rts2-mon (registers with rts2-centrald)' },
  'check-config': { run: checkConfigCommand, summary: 'check-config <command> [options]: validate the files and options it would load (no network)' },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(14)} ${c.summary}`);
  return `Usage: obsmon <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun "obsmon <command> --help" for the options of a command.\n`;
}

/** Entry point of the `obsmon` executable; returns the process exit status. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version') {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    process.stdout.write(`obsmon ${pkg.version}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    process.stderr.write(`obsmon: unknown command "${name}"\n${usage()}`);
    return 2;
  }
  return command.run(rest, env);
}
