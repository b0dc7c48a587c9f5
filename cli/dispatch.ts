import { VERSION } from '../lib/version.ts';

export type Command = (argv: readonly string[], env: NodeJS.ProcessEnv) => Promise<number>;
/** A Map: the command name comes from argv (`obsmon constructor` must be an unknown command). */
export type Commands = ReadonlyMap<string, { readonly run: Command; readonly summary: string }>;

function usage(commands: Commands): string {
  const lines = [...commands].map(([name, c]) => `  ${name.padEnd(14)} ${c.summary}`);
  return `Usage: obsmon <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun "obsmon <command> --help" for the options of a command.\n`;
}

/** Runs `obsmon <command> …` from `commands`; returns the process exit status. */
export async function dispatch(commands: Commands, argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage(commands));
    return name === undefined ? 2 : 0;
  }
  // `obsmon --version` and `obsmon <command> --version` alike: operators ask the agent they run.
  if (name === '--version' || (commands.has(name) && rest.length === 1 && rest[0] === '--version')) {
    process.stdout.write(`obsmon ${VERSION}\n`);
    return 0;
  }
  const command = commands.get(name);
  if (command === undefined) {
    process.stderr.write(`obsmon: unknown command "${name}"\n${usage(commands)}`);
    return 2;
  }
  return command.run(rest, env);
}
