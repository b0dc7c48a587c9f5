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
  // Maps throughout: flag, variable and YAML names are outside text, never plain-object keys.
  const flags = parseFlags(specs, argv);
  if (flags.get('help') === true) return { values: {} as OptionValues<S>, help: true };

  // An empty OBSMON_CONFIG means unset, as for every other OBSMON_* variable.
  const configFlag = flags.get('config');
  const configPath = typeof configFlag === 'string' ? configFlag : env['OBSMON_CONFIG'] || undefined;
  const file = configPath === undefined ? new Map<string, unknown>() : readConfigFile(configPath, specs);
  const variables = new Map(Object.entries(env));

  const values: Array<[string, unknown]> = [];
  for (const [name, spec] of Object.entries(specs)) {
    const flag = flagName(name);
    const source = pickSource(name, flags, variables, file, configPath);
    const raw = source === undefined ? spec.default : coerce(spec.kind, source.raw);
    const result = spec.schema.safeParse(raw);
    if (!result.success) {
      const expected = result.error.issues[0]?.message ?? 'a valid value';
      const where = source?.where ?? 'default';
      throw new ConfigError(`Invalid --${flag} ${JSON.stringify(source?.raw ?? raw)} (from ${where}): ${expected}`);
    }
    values.push([name, result.data]);
  }
  return { values: Object.freeze(Object.fromEntries(values)) as OptionValues<S>, help: false };
}

function parseFlags(specs: OptionSpecs, argv: readonly string[]): Map<string, unknown> {
  const options = new Map<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }>([
    ['config', { type: 'string' }],
    ['help', { type: 'boolean', short: 'h' }],
  ]);
  const booleans = new Set<string>();
  for (const [name, spec] of Object.entries(specs)) {
    options.set(flagName(name), { type: spec.kind === 'boolean' ? 'boolean' : 'string', multiple: spec.kind === 'list' });
    if (spec.kind === 'boolean') {
      booleans.add(flagName(name));
      options.set(`no-${flagName(name)}`, { type: 'boolean' });
    }
  }
  // Booleans also take `--flag=true|false`, and `--no-flag` (node:util parseArgs on Node 20 has neither).
  const args = argv.map((arg) => {
    const m = /^--([a-z0-9-]+)=(true|false)$/.exec(arg);
    return m !== null && booleans.has(m[1]!) ? (m[2] === 'true' ? `--${m[1]}` : `--no-${m[1]}`) : arg;
  });
  let values: Map<string, unknown>;
  try {
    values = new Map(Object.entries(parseArgs({ args, options: Object.fromEntries(options), strict: true, allowPositionals: false }).values));
  } catch (error) {
    throw new ConfigError(`${(error as Error).message.split('\n')[0]} (see --help)`);
  }
  for (const flag of booleans) {
    if (values.get(`no-${flag}`) === true) values.set(flag, false);
    values.delete(`no-${flag}`);
  }
  return values;
}

function readConfigFile(path: string, specs: OptionSpecs): Map<string, unknown> {
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`Cannot read config file "${path}": ${(error as Error).message.split('\n')[0]}`);
  }
  if (parsed === null || parsed === undefined) return new Map();
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`Config file "${path}" must be a mapping of option names to values`);
  }
  const known = new Set(Object.keys(specs).map(flagName));
  const entries = new Map(Object.entries(parsed));
  for (const key of entries.keys()) {
    if (!known.has(key)) throw new ConfigError(`Config file "${path}": unknown option "${key}" (see --help)`);
  }
  return entries;
}

function pickSource(
  name: string,
  flags: ReadonlyMap<string, unknown>,
  env: ReadonlyMap<string, string | undefined>,
  file: ReadonlyMap<string, unknown>,
  configPath: string | undefined,
): Source | undefined {
  const flag = flagName(name);
  const fromFlag = flags.get(flag);
  if (fromFlag !== undefined) return { raw: fromFlag, where: `flag --${flag}` };
  const variable = envName(name);
  const fromEnv = env.get(variable);
  if (fromEnv !== undefined && fromEnv !== '') return { raw: fromEnv, where: `environment ${variable}` };
  if (file.has(flag)) return { raw: file.get(flag), where: `config file ${configPath}` };
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
