import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from './config-error.ts';
import { envName, flagName, type OptionKind, type OptionSpecs, type OptionValues } from './option.ts';

export interface LoadedOptions<S extends OptionSpecs> {
  readonly values: OptionValues<S>;
  /** `--help` was given: the caller prints usage instead of starting. */
  readonly help: boolean;
}

type Source = { readonly raw: unknown; readonly where: string };

/**
 * Resolve every option of a subcommand: defaults <- YAML file (`--config`/`OBSMON_CONFIG`) <-
 * `OBSMON_*` environment <- flags. Each value is validated by its schema; the first bad one throws a
 * ConfigError naming the option, where it came from, the value and what was expected.
 */
export function loadOptions<S extends OptionSpecs>(
  specs: S,
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): LoadedOptions<S> {
  const flags = parseFlags(specs, argv);
  if (flags['help'] === true) return { values: {} as OptionValues<S>, help: true };

  // An empty OBSMON_CONFIG means unset, as for every other OBSMON_* variable.
  const configPath = typeof flags['config'] === 'string' ? flags['config'] : env['OBSMON_CONFIG'] || undefined;
  const file = configPath === undefined ? {} : readConfigFile(configPath, specs);

  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const flag = flagName(name);
    const source = pickSource(name, flags, env, file, configPath);
    const raw = source === undefined ? spec.default : coerce(spec.kind, source.raw);
    const result = spec.schema.safeParse(raw);
    if (!result.success) {
      const expected = result.error.issues[0]?.message ?? 'a valid value';
      const where = source?.where ?? 'default';
      throw new ConfigError(`Invalid --${flag} ${JSON.stringify(source?.raw ?? raw)} (from ${where}): ${expected}`);
    }
    values[name] = result.data;
  }
  return { values: Object.freeze(values) as OptionValues<S>, help: false };
}

function parseFlags(specs: OptionSpecs, argv: readonly string[]): Record<string, unknown> {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {
    config: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  };
  const booleans = new Set<string>();
  for (const [name, spec] of Object.entries(specs)) {
    options[flagName(name)] = { type: spec.kind === 'boolean' ? 'boolean' : 'string', multiple: spec.kind === 'list' };
    if (spec.kind === 'boolean') {
      booleans.add(flagName(name));
      options[`no-${flagName(name)}`] = { type: 'boolean' };
    }
  }
  // Booleans also take `--flag=true|false`, and `--no-flag` (node:util parseArgs on Node 20 has neither).
  const args = argv.map((arg) => {
    const m = /^--([a-z0-9-]+)=(true|false)$/.exec(arg);
    return m !== null && booleans.has(m[1]!) ? (m[2] === 'true' ? `--${m[1]}` : `--no-${m[1]}`) : arg;
  });
  let values: Record<string, unknown>;
  try {
    values = parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new ConfigError(`${(error as Error).message.split('\n')[0]} (see --help)`);
  }
  for (const flag of booleans) {
    if (values[`no-${flag}`] === true) values[flag] = false;
    delete values[`no-${flag}`];
  }
  return values;
}

function readConfigFile(path: string, specs: OptionSpecs): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`Cannot read config file "${path}": ${(error as Error).message.split('\n')[0]}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`Config file "${path}" must be a mapping of option names to values`);
  }
  const known = new Set(Object.keys(specs).map(flagName));
  for (const key of Object.keys(parsed)) {
    if (!known.has(key)) throw new ConfigError(`Config file "${path}": unknown option "${key}" (see --help)`);
  }
  return parsed as Record<string, unknown>;
}

function pickSource(
  name: string,
  flags: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
  file: Record<string, unknown>,
  configPath: string | undefined,
): Source | undefined {
  const flag = flagName(name);
  const fromFlag = flags[flag];
  if (fromFlag !== undefined) return { raw: fromFlag, where: `flag --${flag}` };
  const variable = envName(name);
  const fromEnv = env[variable];
  if (fromEnv !== undefined && fromEnv !== '') return { raw: fromEnv, where: `environment ${variable}` };
  if (flag in file) return { raw: file[flag], where: `config file ${configPath}` };
  return undefined;
}

/** Text from flags and environment becomes typed; YAML values are usually typed already. */
function coerce(kind: OptionKind, raw: unknown): unknown {
  switch (kind) {
    case 'number':
      // Plain decimal only (Number() would also read "0x1F90"); surrounding blanks are forgiven.
      return typeof raw === 'string' && /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw.trim()) ? Number(raw) : raw;
    case 'boolean':
      if (raw === 'true' || raw === '1') return true;
      if (raw === 'false' || raw === '0') return false;
      return raw;
    case 'list': {
      const items = Array.isArray(raw) ? raw : [raw];
      // Repeated flags and comma lists both work: `--server a --server b` = `--server a,b`.
      return items.flatMap((item) => (typeof item === 'string' ? item.split(',').map((s) => s.trim()).filter(Boolean) : [item]));
    }
    case 'string':
      return typeof raw === 'number' ? String(raw) : raw;
  }
}
