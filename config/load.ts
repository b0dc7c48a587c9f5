import { parseArgs } from 'node:util';
import { closestName } from './closest-name.ts';
import { ConfigError } from './config-error.ts';
import { readYamlSource, type YamlSource } from './yaml-source.ts';
import { envName, flagName, type OptionKind, type OptionSpecs, type OptionValues } from './option.ts';

export interface LoadedOptions<S extends OptionSpecs> {
  readonly values: OptionValues<S>;
  /** `--help` was given: the caller prints usage instead of starting. */
  readonly help: boolean;
  /** Problems that do not stop start-up (an `OBSMON_*` variable that is no option): log them. */
  readonly warnings: readonly string[];
}

/**
 * `OBSMON_*` variables obsmon itself sets or reads for something other than an option: the
 * container health check URL (Dockerfile) and the config file.
 */
const OTHER_VARIABLES: ReadonlySet<string> = new Set(['OBSMON_CONFIG', 'OBSMON_HEALTH_URL']);

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
  if (flags.get('help') === true) return { values: {} as OptionValues<S>, help: true, warnings: [] };

  // An empty OBSMON_CONFIG means unset, as for every other OBSMON_* variable.
  const configFlag = flags.get('config');
  const configPath = typeof configFlag === 'string' ? configFlag : env['OBSMON_CONFIG'] || undefined;
  const source = configPath === undefined ? undefined : readYamlSource(configPath, 'config file');
  const file = source === undefined ? new Map<string, unknown>() : configEntries(source, specs);
  const variables = new Map(Object.entries(env));

  const values: Array<[string, unknown]> = [];
  for (const [name, spec] of Object.entries(specs)) {
    const flag = flagName(name);
    const from = pickSource(name, flags, variables, file, source);
    const raw = from === undefined ? spec.default : coerce(spec.kind, from.raw);
    const result = spec.schema.safeParse(raw);
    if (!result.success) {
      const expected = result.error.issues[0]?.message ?? 'a valid value';
      const where = from?.where ?? 'default';
      throw new ConfigError(`Invalid --${flag} ${JSON.stringify(from?.raw ?? raw)} (from ${where}): ${expected}`);
    }
    values.push([name, result.data]);
  }
  return {
    values: Object.freeze(Object.fromEntries(values)) as OptionValues<S>,
    help: false,
    warnings: unknownVariables(specs, env),
  };
}

/**
 * A misspelt variable would silently leave its option at the default: name it, and the variable it
 * most likely meant. A warning, not an error: the environment of a container or a shared env file
 * legitimately holds other subcommands' variables (and OBSMON_HOST/PORT of the example agents).
 */
function unknownVariables(specs: OptionSpecs, env: NodeJS.ProcessEnv): string[] {
  const known = Object.keys(specs).map(envName);
  const knownSet = new Set(known);
  const warnings: string[] = [];
  for (const [variable, value] of Object.entries(env)) {
    if (!variable.startsWith('OBSMON_') || value === undefined || value === '') continue;
    if (knownSet.has(variable) || OTHER_VARIABLES.has(variable)) continue;
    const close = closestName(variable, known);
    warnings.push(
      `Environment variable ${variable} is not an option of this command and is ignored${close === undefined ? '' : ` (did you mean ${close}?)`}`,
    );
  }
  return warnings.sort();
}

function parseFlags(specs: OptionSpecs, argv: readonly string[]): Map<string, unknown> {
  const options = new Map<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }>([
    ['config', { type: 'string' }],
    ['help', { type: 'boolean', short: 'h' }],
  ]);
  const booleans = new Set<string>();
  for (const [name, spec] of Object.entries(specs)) {
    options.set(flagName(name), {
      type: spec.kind === 'boolean' ? 'boolean' : 'string',
      multiple: spec.kind === 'list',
    });
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
    values = new Map(
      Object.entries(
        parseArgs({ args, options: Object.fromEntries(options), strict: true, allowPositionals: false }).values,
      ),
    );
  } catch (error) {
    throw new ConfigError(`${(error as Error).message.split('\n')[0]} (see --help)`);
  }
  for (const flag of booleans) {
    if (values.get(`no-${flag}`) === true) values.set(flag, false);
    values.delete(`no-${flag}`);
  }
  return values;
}

function configEntries(source: YamlSource, specs: OptionSpecs): ReadonlyMap<string, unknown> {
  const parsed = source.data;
  if (parsed === null || parsed === undefined) return new Map();
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(
      `${source.path}:${source.lineOf([]) ?? 1}: the config file must be a mapping of option names to values`,
    );
  }
  const known = Object.keys(specs).map(flagName);
  const knownSet = new Set(known);
  const entries = new Map(Object.entries(parsed));
  for (const key of entries.keys()) {
    if (knownSet.has(key)) continue;
    const close = closestName(key, known);
    throw new ConfigError(
      `${source.path}:${source.lineOf([key]) ?? 1}: unknown option "${key}" (${close === undefined ? '' : `did you mean "${close}"? `}see --help)`,
    );
  }
  return entries;
}

function pickSource(
  name: string,
  flags: ReadonlyMap<string, unknown>,
  env: ReadonlyMap<string, string | undefined>,
  file: ReadonlyMap<string, unknown>,
  source: YamlSource | undefined,
): Source | undefined {
  const flag = flagName(name);
  const fromFlag = flags.get(flag);
  if (fromFlag !== undefined) return { raw: fromFlag, where: `flag --${flag}` };
  const variable = envName(name);
  const fromEnv = env.get(variable);
  if (fromEnv !== undefined && fromEnv !== '') return { raw: fromEnv, where: `environment ${variable}` };
  if (file.has(flag)) return { raw: file.get(flag), where: `config file ${source?.path}:${source?.lineOf([flag])}` };
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
      return items.flatMap((item) =>
        typeof item === 'string'
          ? item
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean)
          : [item],
      );
    }
    case 'string':
      return typeof raw === 'number' ? String(raw) : raw;
  }
}
