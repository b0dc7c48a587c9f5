import { envName, flagName, type OptionSpec, type OptionSpecs } from '../config/option.ts';

const HELP_COLUMN = 34;
const INDENT = ' '.repeat(HELP_COLUMN);

function placeholderOf(spec: OptionSpec): string {
  if (spec.placeholder !== undefined) return ` ${spec.placeholder}`;
  return spec.kind === 'boolean' ? '' : ' <value>';
}

function defaultOf(spec: OptionSpec): string | undefined {
  const value = spec.default;
  if (value === undefined || value === '') return undefined;
  if (Array.isArray(value)) return value.length === 0 ? undefined : value.join(',');
  return String(value);
}

function entry(head: string, help: string, details: string): string {
  // A long flag pushes its help to the next line rather than breaking the column.
  const pad = head.length < HELP_COLUMN ? ' '.repeat(HELP_COLUMN - head.length) : `\n${INDENT}`;
  return `${head}${pad}${help}\n${INDENT}${details}`;
}

/**
 * Usage text of a subcommand, generated from its option specs so help cannot drift from what the
 * loader accepts: per option the flag, placeholder, help, default and environment variable.
 */
export function formatUsage(command: string, summary: string, specs: OptionSpecs): string {
  const lines = [`Usage: ${command} [options]`, '', summary, '', 'Options:'];
  const specList: Array<[string, OptionSpec]> = Object.entries(specs);
  for (const [name, spec] of specList) {
    const value = defaultOf(spec);
    const details = [
      value === undefined ? 'no default' : `default: ${value}`,
      `env ${envName(name)}`,
      ...(spec.kind === 'list' ? ['repeatable or comma-separated'] : []),
    ].join('; ');
    // The loader takes `--no-<flag>` for every boolean, which is how one with a true default is turned off.
    const flag = spec.kind === 'boolean' ? `--[no-]${flagName(name)}` : `--${flagName(name)}`;
    lines.push(entry(`  ${flag}${placeholderOf(spec)}`, spec.help, details));
  }
  lines.push(entry('  --config <file>', 'YAML file: option names as spelled in flags -> values', 'env OBSMON_CONFIG'));
  lines.push(`  -h, --help${' '.repeat(HELP_COLUMN - 12)}Print this help and exit`);
  lines.push('', 'Precedence: defaults < config file < OBSMON_* environment < flags.', '');
  return lines.join('\n');
}
