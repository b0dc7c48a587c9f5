import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { z } from 'zod';
import {
  address,
  hostPort,
  logLevel,
  optionalPath,
  port,
  positiveInt,
  seconds,
} from '../../../config/common-schemas.ts';
import { ConfigError } from '../../../config/config-error.ts';
import { loadOptions } from '../../../config/load.ts';
import { option } from '../../../config/option.ts';

const specs = {
  bind: option('string', address, '0.0.0.0', 'Address to bind', '<addr>'),
  ingestPort: option('number', port, 7070, 'Agent TCP port', '<n>'),
  idleTimeout: option('number', seconds(1, 86_400), 300, 'Idle connection timeout', '<seconds>'),
  maxNodes: option('number', positiveInt(1000), 100, 'Nodes kept', '<n>'),
  server: option(
    'list',
    z.array(hostPort).min(1, { error: 'expected at least one <host:port>' }),
    ['127.0.0.1:7070'],
    'Bridges',
    '<host:port>',
  ),
  enforceInventory: option('boolean', z.boolean({ error: 'expected true or false' }), false, 'Refuse unknown nodes'),
  inventory: option('string', optionalPath, undefined, 'Inventory file', '<file>'),
  logLevel: option('string', logLevel, 'info', 'Log level', '<level>'),
};

const dir = mkdtempSync(join(tmpdir(), 'obsmon-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
/** Write a YAML file into the temp dir; returns its path. */
function yaml(text: string): string {
  files += 1;
  const path = join(dir, `config-${files}.yaml`);
  writeFileSync(path, text);
  return path;
}

const load = (argv: readonly string[], env: NodeJS.ProcessEnv = {}) => loadOptions(specs, argv, env);

function configError(argv: readonly string[], env: NodeJS.ProcessEnv = {}): ConfigError {
  try {
    load(argv, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const configError = error as ConfigError;
    expect(configError.code).toBe('OBSMON_CONFIG_INVALID');
    expect(configError.message).not.toContain('\n');
    return configError;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(argv)} ${JSON.stringify(env)}`);
}

describe('loadOptions precedence: defaults < YAML file < OBSMON_* environment < flags', () => {
  const file = yaml('ingest-port: 7071\nbind: 10.0.0.1\n');
  const other = yaml('ingest-port: 7075\n');
  test.each([
    ['defaults alone', [], {}, 7070],
    ['the file over the default', ['--config', file], {}, 7071],
    ['OBSMON_CONFIG names the file', [], { OBSMON_CONFIG: file }, 7071],
    ['--config over OBSMON_CONFIG', ['--config', other], { OBSMON_CONFIG: file }, 7075],
    ['the environment over the file', ['--config', file], { OBSMON_INGEST_PORT: '7072' }, 7072],
    [
      'a flag over the environment and the file',
      ['--config', file, '--ingest-port', '7073'],
      { OBSMON_INGEST_PORT: '7072' },
      7073,
    ],
    ['a flag over the default', ['--ingest-port=7074'], {}, 7074],
    ['an empty variable counts as unset', ['--config', file], { OBSMON_INGEST_PORT: '' }, 7071],
    ['an empty OBSMON_CONFIG counts as unset', [], { OBSMON_CONFIG: '' }, 7070],
  ] as const)('%s', (_, argv, env, ingestPort) => {
    expect(load(argv, env).values.ingestPort).toBe(ingestPort);
  });

  test('each option takes its own highest source', () => {
    const { values, help } = load(['--config', file, '--log-level', 'debug'], { OBSMON_IDLE_TIMEOUT: '30' });
    expect(help).toBe(false);
    expect(values).toEqual({
      bind: '10.0.0.1',
      ingestPort: 7071,
      idleTimeout: 30,
      maxNodes: 100,
      server: ['127.0.0.1:7070'],
      enforceInventory: false,
      inventory: undefined,
      logLevel: 'debug',
    });
  });

  test('the values are frozen', () => {
    const { values } = load([]);
    expect(Object.isFrozen(values)).toBe(true);
  });
});

describe('loadOptions typed values', () => {
  test.each([
    ['repeated flags', ['--server', 'a:1', '--server', 'b:2'], {}, ['a:1', 'b:2']],
    ['a comma list', ['--server', 'a:1,b:2'], {}, ['a:1', 'b:2']],
    ['repeated flags holding comma lists', ['--server', 'a:1, b:2', '--server', 'c:3'], {}, ['a:1', 'b:2', 'c:3']],
    ['a comma list in the environment', [], { OBSMON_SERVER: 'a:1, b:2' }, ['a:1', 'b:2']],
    ['a YAML sequence', ['--config', yaml('server:\n  - a:1\n  - b:2\n')], {}, ['a:1', 'b:2']],
    ['a comma list in YAML', ['--config', yaml('server: a:1,b:2\n')], {}, ['a:1', 'b:2']],
    ['IPv6 with brackets', ['--server', '[::1]:7070'], {}, ['[::1]:7070']],
  ] as const)('list option from %s', (_, argv, env, server) => {
    expect(load(argv, env).values.server).toEqual(server);
  });

  test.each([
    ['a bare flag', ['--enforce-inventory'], {}, true],
    ['OBSMON_*=true', [], { OBSMON_ENFORCE_INVENTORY: 'true' }, true],
    ['OBSMON_*=1', [], { OBSMON_ENFORCE_INVENTORY: '1' }, true],
    [
      'OBSMON_*=0 over the file',
      ['--config', yaml('enforce-inventory: true\n')],
      { OBSMON_ENFORCE_INVENTORY: '0' },
      false,
    ],
    ['a YAML boolean', ['--config', yaml('enforce-inventory: true\n')], {}, true],
  ] as const)('boolean option from %s', (_, argv, env, enforceInventory) => {
    expect(load(argv, env).values.enforceInventory).toBe(enforceInventory);
  });

  test('numbers from flags and environment are numbers; fractions allowed where the schema allows', () => {
    const { values } = load(['--idle-timeout', '0.5e1'], { OBSMON_MAX_NODES: ' 12 ' });
    expect(values.idleTimeout).toBe(5);
    expect(values.maxNodes).toBe(12);
  });

  test('an empty config file leaves the defaults', () => {
    expect(load(['--config', yaml('')]).values.ingestPort).toBe(7070);
  });
});

describe('loadOptions errors', () => {
  test.each([
    [
      'a flag',
      ['--ingest-port', '70000'],
      {},
      'Invalid --ingest-port "70000" (from flag --ingest-port): expected a TCP port number 0..65535',
    ],
    [
      'the environment',
      [],
      { OBSMON_IDLE_TIMEOUT: 'soon' },
      'Invalid --idle-timeout "soon" (from environment OBSMON_IDLE_TIMEOUT): expected seconds between 1 and 86400',
    ],
    [
      'a boolean variable',
      [],
      { OBSMON_ENFORCE_INVENTORY: 'yes' },
      'Invalid --enforce-inventory "yes" (from environment OBSMON_ENFORCE_INVENTORY): expected true or false',
    ],
    [
      'a zero count',
      ['--max-nodes', '0'],
      {},
      'Invalid --max-nodes "0" (from flag --max-nodes): expected a whole number 1..1000',
    ],
    [
      'a fraction where a whole number is due',
      ['--max-nodes', '1.5'],
      {},
      'Invalid --max-nodes "1.5" (from flag --max-nodes): expected a whole number 1..1000',
    ],
    [
      'one bad item of a list',
      ['--server', 'a:1', '--server', 'nohost'],
      {},
      'Invalid --server ["a:1","nohost"] (from flag --server): expected <host:port>, e.g. 10.0.0.5:7070 or [::1]:7070',
    ],
    [
      'a variable with a newline, escaped to stay on one line',
      [],
      { OBSMON_LOG_LEVEL: 'info\nwarn' },
      'Invalid --log-level "info\\nwarn" (from environment OBSMON_LOG_LEVEL): expected one of debug, info, warn, error',
    ],
  ] as const)(
    'a bad value from %s names the flag, the value, the source and the expectation',
    (_, argv, env, message) => {
      expect(configError(argv, env).message).toBe(message);
    },
  );

  test('a bad value from the config file names the file and line', () => {
    const path = yaml('bind: 127.0.0.1\nlog-level: verbose\n');
    expect(configError(['--config', path]).message).toBe(
      `Invalid --log-level "verbose" (from config file ${path}:2): expected one of debug, info, warn, error`,
    );
  });

  test('a bad file value is reported even when a later source would not touch that option', () => {
    const path = yaml('ingest-port: http\n');
    expect(configError(['--config', path, '--bind', '::']).message).toContain('--ingest-port "http" (from config file');
  });

  test.each([
    ['an unknown flag', ['--ingest-prot', '1'], "Unknown option '--ingest-prot' (see --help)"],
    [
      'a positional argument',
      ['7070'],
      "Unexpected argument '7070'. This command does not take positional arguments (see --help)",
    ],
    ['a flag without its value', ['--ingest-port'], "Option '--ingest-port <value>' argument missing (see --help)"],
  ] as const)('%s is a ConfigError', (_, argv, message) => {
    expect(configError(argv).message).toBe(message);
  });

  test.each([
    ['an unknown key', 'ingest-port: 1\nlisten: 0.0.0.0\n', ':2: unknown option "listen" (see --help)'],
    [
      'a misspelt key',
      'ingest-port: 1\n\nidle-timout: 5\n',
      ':3: unknown option "idle-timout" (did you mean "idle-timeout"? see --help)',
    ],
    ['a camelCase key', 'ingestPort: 1\n', ':1: unknown option "ingestPort" (did you mean "ingest-port"? see --help)'],
    ['a list at the top', '- ingest-port\n', ':1: the config file must be a mapping of option names to values'],
    [
      'invalid YAML',
      'bind: ::1\ningest-port: [1\n',
      ':3:1: invalid YAML in the config file: Flow sequence in block collection must be sufficiently indented and end with a ]; line 2 reads "ingest-port: [1"',
    ],
    [
      'a repeated key',
      'bind: ::1\nbind: 0.0.0.0\n',
      ':2:1: invalid YAML in the config file: Map keys must be unique; line 2 reads "bind: 0.0.0.0"',
    ],
  ])('a config file with %s is one line naming file, line and problem', (_, text, message) => {
    const path = yaml(text);
    expect(configError(['--config', path]).message).toBe(`${path}${message}`);
  });

  test.each(['constructor', 'toString'])('a config file with the key %s is an unknown option like any other', (key) => {
    expect(configError(['--config', yaml(`${key}: 1\n`)]).message).toContain(`:1: unknown option "${key}"`);
  });

  test('Object.prototype member names as flags, variables or YAML keys are names like any other', () => {
    expect(configError(['--constructor', '1']).message).toBe("Unknown option '--constructor' (see --help)");
    // An environment whose prototype answers for every name (as a plain-object lookup would see it).
    const env = Object.create({ OBSMON_INGEST_PORT: '1', OBSMON_BIND: '::1' }) as NodeJS.ProcessEnv;
    expect(load([], env).values).toMatchObject({ ingestPort: 7070, bind: '0.0.0.0' });
    expect(configError(['--config', yaml('ingest-port: 9\n__proto__: { bind: "::1" }\n')]).message).toContain(
      'unknown option "__proto__"',
    );
  });

  test('a missing config file is a ConfigError naming the path', () => {
    const path = join(dir, 'missing.yaml');
    expect(configError([], { OBSMON_CONFIG: path }).message).toMatch(
      new RegExp(`^Cannot read config file "${path}": ENOENT`),
    );
  });
});

describe('loadOptions warnings: an OBSMON_* variable that is no option', () => {
  test.each([
    [
      'a misspelt variable names the closest option',
      { OBSMON_INGEST_PROT: '7071' },
      [
        'Environment variable OBSMON_INGEST_PROT is not an option of this command and is ignored (did you mean OBSMON_INGEST_PORT?)',
      ],
    ],
    [
      'a letter missing',
      { OBSMON_LOGLEVEL: 'debug' },
      [
        'Environment variable OBSMON_LOGLEVEL is not an option of this command and is ignored (did you mean OBSMON_LOG_LEVEL?)',
      ],
    ],
    [
      "another command's variable is named without a guess",
      { OBSMON_INFLUX_TOKEN: 'x' },
      ['Environment variable OBSMON_INFLUX_TOKEN is not an option of this command and is ignored'],
    ],
    [
      'valid variables, the config file and the container health check say nothing',
      { OBSMON_INGEST_PORT: '7071', OBSMON_CONFIG: '', OBSMON_HEALTH_URL: 'http://x/healthz' },
      [],
    ],
    ['an empty variable counts as unset', { OBSMON_INGEST_PROT: '' }, []],
    ['other variables are not looked at', { PATH: '/bin', obsmon_bind: 'x' }, []],
  ] as const)('%s', (_, env, warnings) => {
    expect(load([], env).warnings).toEqual(warnings);
  });

  test('the misspelt variable leaves the option at its default (and the value is still valid)', () => {
    expect(load([], { OBSMON_INGEST_PROT: '7071' }).values.ingestPort).toBe(7070);
  });
});

describe('loadOptions --help', () => {
  test.each([['--help'], ['-h']])('%s asks for usage and starts nothing', (flag) => {
    expect(load([flag])).toEqual({ values: {}, help: true, warnings: [] });
  });

  test('--help wins over bad values and a missing config file', () => {
    expect(load(['--ingest-port', '70000', '--help'], { OBSMON_CONFIG: join(dir, 'missing.yaml') }).help).toBe(true);
  });
});
