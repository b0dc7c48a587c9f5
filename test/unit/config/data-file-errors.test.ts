import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { TokenGrants } from '../../../bridge/ingest/token-grants.ts';
import { inventoryChanges, loadInventory, MAX_PROBES } from '../../../bridge/state/inventory.ts';
import { countChangedLevels, loadThresholdsConfig } from '../../../config/thresholds.ts';
import { STANDARD_KEYS } from '../../../protocol/keys.ts';
import { ConfigError } from '../../../config/config-error.ts';

const dir = mkdtempSync(join(tmpdir(), 'obsmon-data-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
function write(text: string): string {
  files += 1;
  const path = join(dir, `file-${files}.yaml`);
  writeFileSync(path, text);
  return path;
}

/** The one-line ConfigError a loader throws for `text`, with the temp path replaced by `FILE`. */
function problem(load: (path: string) => unknown, text: string): string {
  const path = write(text);
  try {
    load(path);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).not.toContain('\n');
    return message.split(path).join('FILE');
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(text)}`);
}

// The list the message names: every standard key, in the protocol's order.
const STANDARD = STANDARD_KEYS.map((k) => k.key).join(', ');

describe('thresholds file: every problem is one line naming file, line, key and what is expected', () => {
  test.each([
    [
      'a misspelt metric',
      'defaults:\n  cpu: { warning: 85, error: 95 }\n  cpuu: { warning: 1, error: 2 }\n',
      `FILE:3: defaults.cpuu: unknown metric "cpuu" (expected one of ${STANDARD}, or a custom key listed in custom_metrics; did you mean "cpu"?)`,
    ],
    [
      'an unknown metric in a node override',
      'nodes:\n  ccd01:\n    dome_humidity: { warning: 1, error: 2 }\n',
      `FILE:3: nodes.ccd01.dome_humidity: unknown metric "dome_humidity" (expected one of ${STANDARD}, or a custom key listed in custom_metrics)`,
    ],
    [
      'a LAMOST alias, which the bridge stores under the standard key',
      'groups:\n  cameras:\n    disk_percent: { warning: 90, error: 95 }\n',
      'FILE:3: groups.cameras.disk_percent: "disk_percent" is a LAMOST alias the bridge stores as "disk": use "disk"',
    ],
    [
      'a misspelt section',
      '# levels\ndefault:\n  disk: { warning: 1, error: 2 }\n',
      'FILE:2: unknown key "default" (expected custom_metrics, defaults, groups, nodes; did you mean "defaults"?)',
    ],
    [
      'a misspelt level',
      'defaults:\n  cpu: { warning: 1, eror: 2 }\n',
      'FILE:2: defaults.cpu: unknown key "eror" (expected warning, error; did you mean "error"?)',
    ],
    [
      'a level that is not a number',
      'defaults:\n  cpu:\n    warning: high\n    error: 95\n',
      'FILE:3: defaults.cpu.warning: expected the warning level as a number, got "high"',
    ],
    [
      'a missing level',
      'defaults:\n  cpu: { warning: 85 }\n',
      'FILE:2: defaults.cpu.error: expected the error level as a number, got nothing',
    ],
    [
      'a bare number instead of levels',
      'groups:\n  cameras:\n    disk: 90\n',
      'FILE:3: groups.cameras.disk: expected { warning: <number>, error: <number> }, got 90',
    ],
    [
      'warning above error',
      'defaults:\n  disk: { warning: 95, error: 90 }\n',
      'FILE:2: defaults.disk: warning must not be above error',
    ],
    [
      'a custom key that is no protocol key',
      'custom_metrics: [Dome-Humidity]\n',
      'FILE:1: custom_metrics[0]: expected a custom key as in the protocol (a-z, 0-9, _; at most 32)',
    ],
    ['a list at the top', '- cpu\n', 'FILE:1: expected a mapping with defaults, groups, nodes, got a list'],
    [
      'a tab as indentation',
      'defaults:\n\tcpu: { warning: 85, error: 95 }\n',
      'FILE:2:1: invalid YAML in the thresholds file: Tabs are not allowed as indentation; line 2 reads "\\tcpu: { warning: 85, error: 95 }"',
    ],
    [
      'bad YAML, with the line it is on',
      'defaults:\n  cpu: { warning: 85, error: 95\n  mem: { warning: 85, error: 95 }\n',
      'FILE:3:3: invalid YAML in the thresholds file: Flow map in block collection must be sufficiently indented and end with a }; line 3 reads "  mem: { warning: 85, error: 95 }"',
    ],
    [
      'a repeated key',
      'defaults:\n  cpu: { warning: 85, error: 95 }\n  cpu: { warning: 80, error: 90 }\n',
      'FILE:3:3: invalid YAML in the thresholds file: Map keys must be unique; line 3 reads "  cpu: { warning: 80, error: 90 }"',
    ],
  ])('%s', (_, text, message) => {
    expect(problem(loadThresholdsConfig, text)).toBe(message);
  });

  test('a custom key listed in custom_metrics may have levels, anywhere', () => {
    const config = loadThresholdsConfig(
      write(
        'custom_metrics: [dome_humidity]\ndefaults:\n  dome_humidity: { warning: 80, error: 90 }\nnodes:\n  dome01:\n    dome_humidity: { warning: 85, error: 95 }\n',
      ),
    );
    expect(config.defaults['dome_humidity']).toEqual({ warning: 80, error: 90 });
    expect(config).toEqual({
      defaults: { dome_humidity: { warning: 80, error: 90 } },
      groups: {},
      nodes: { dome01: { dome_humidity: { warning: 85, error: 95 } } },
    });
  });

  test('the shipped file passes', () => {
    expect(Object.keys(loadThresholdsConfig().defaults)).toContain('disk');
  });
});

describe('inventory file: every problem is one line naming file, line, key and what is expected', () => {
  test.each([
    [
      'critical: yes (YAML 1.2 reads it as a string)',
      'nodes:\n  - ccd01\n  - { name: ccd02, critical: yes }\n',
      'FILE:3: nodes[1].critical: expected true or false, got "yes"',
    ],
    [
      'critical in quotes',
      'nodes:\n  - name: ccd02\n    critical: "true"\n',
      'FILE:3: nodes[0].critical: expected true or false, got "true"',
    ],
    [
      'a duplicate name',
      'nodes:\n  - ccd01\n  - ccd02\n  - name: ccd01\n    group: cameras\n',
      'FILE:4: nodes[2]: duplicate node "ccd01" (already listed as nodes[0])',
    ],
    [
      'a name the protocol refuses',
      'nodes:\n  - ccd 01\n',
      'FILE:2: nodes[0].name: expected a node name as in the protocol (letters, digits, _ . : -; at most 64), got "ccd 01"',
    ],
    [
      'a bad group',
      'nodes:\n  - { name: ccd01, group: "big cameras" }\n',
      'FILE:2: nodes[0].group: expected a group name (letters, digits, _ . -; at most 64), got "big cameras"',
    ],
    [
      'a misspelt key',
      'nodes:\n  - { name: ccd01, grup: cameras }\n',
      'FILE:2: nodes[0]: unknown key "grup" (expected name, group, critical, probe; did you mean "group"?)',
    ],
    [
      'an entry that is a number',
      'nodes:\n  - 5\n',
      'FILE:2: nodes[0]: expected a node name or { name, group, critical, probe }, got 5',
    ],
    ['nodes not a list', 'nodes: ccd01\n', 'FILE:1: nodes: expected a list of nodes, got "ccd01"'],
    [
      'a list at the top',
      '- ccd01\n',
      'FILE:1: expected a mapping with nodes: [...] and maintenance: [...], got a list',
    ],
    [
      'a misspelt top key',
      'node:\n  - ccd01\n',
      'FILE:1: unknown key "node" (expected nodes, maintenance; did you mean "nodes"?)',
    ],
    [
      'bad YAML at the end of the file, shown with the last line',
      'nodes: [ccd01,\n',
      'FILE:2:1: invalid YAML in the inventory: Flow sequence in block collection must be sufficiently indented and end with a ]; line 1 reads "nodes: [ccd01,"',
    ],
  ])('%s', (_, text, message) => {
    expect(problem(loadInventory, text)).toBe(message);
  });

  test.each([
    [
      'a probe with no target',
      'nodes:\n  - name: dome-plc\n    probe: { interval: 10 }\n',
      'FILE:3: nodes[0].probe: expected exactly one of tcp: <host:port> or http: <url>',
    ],
    [
      'a probe with both targets',
      'nodes:\n  - name: dome-plc\n    probe: { tcp: "10.0.0.5:502", http: "http://10.0.0.5/" }\n',
      'FILE:3: nodes[0].probe: expected exactly one of tcp: <host:port> or http: <url>',
    ],
    [
      'a tcp target without a port',
      'nodes:\n  - name: dome-plc\n    probe:\n      tcp: 10.0.0.5\n',
      'FILE:4: nodes[0].probe.tcp: expected <host:port>, e.g. 10.0.0.5:7070 or [::1]:7070',
    ],
    [
      'an http target that is no http URL',
      'nodes:\n  - { name: weather, probe: { http: "ftp://weather.local/" } }\n',
      'FILE:2: nodes[0].probe.http: expected an http:// or https:// URL without user:password, got "ftp://weather.local/"',
    ],
    [
      'an http target with a password',
      'nodes:\n  - { name: weather, probe: { http: "http://u:p@weather.local/" } }\n',
      'FILE:2: nodes[0].probe.http: expected an http:// or https:// URL without user:password, got "http://u:p@weather.local/"',
    ],
    [
      'a timeout not shorter than the interval',
      'nodes:\n  - name: dome-plc\n    probe:\n      tcp: "10.0.0.5:502"\n      interval: 5\n      timeout: 5\n',
      'FILE:6: nodes[0].probe.timeout: timeout (5 s) must be shorter than interval (5 s)',
    ],
    [
      'an interval below one second',
      'nodes:\n  - { name: dome-plc, probe: { tcp: "10.0.0.5:502", interval: 0.5, timeout: 0.2 } }\n',
      'FILE:2: nodes[0].probe.interval: expected the interval in seconds (1 … 3600)',
    ],
    [
      'expect_status on a tcp probe',
      'nodes:\n  - { name: dome-plc, probe: { tcp: "10.0.0.5:502", expect_status: 200 } }\n',
      'FILE:2: nodes[0].probe.expect_status: expect_status belongs to an http probe',
    ],
    [
      'a status code that is none',
      'nodes:\n  - { name: weather, probe: { http: "http://weather.local/", expect_status: 42 } }\n',
      'FILE:2: nodes[0].probe.expect_status: expected an HTTP status code 100..599',
    ],
    [
      'a misspelt probe key',
      'nodes:\n  - name: weather\n    probe:\n      http: "http://weather.local/"\n      intervall: 10\n',
      'FILE:5: nodes[0].probe: unknown key "intervall" (expected tcp, http, expect_status, interval, timeout; did you mean "interval"?)',
    ],
  ])('%s', (_, text, message) => {
    expect(problem(loadInventory, text)).toBe(message);
  });

  test('probes: defaults, both kinds, and at most MAX_PROBES', () => {
    const inventory = loadInventory(
      write(
        'nodes:\n  - { name: dome-plc, group: dome, critical: true, probe: { tcp: "10.0.0.5:502", interval: 10, timeout: 2 } }\n  - { name: weather, probe: { http: "http://weather.local/status" } }\n  - ccd01\n',
      ),
    );
    expect([...inventory.values()]).toEqual([
      {
        name: 'dome-plc',
        group: 'dome',
        critical: true,
        probe: { kind: 'tcp', target: '10.0.0.5:502', intervalSeconds: 10, timeoutSeconds: 2 },
      },
      {
        name: 'weather',
        group: 'default',
        critical: false,
        probe: {
          kind: 'http',
          target: 'http://weather.local/status',
          intervalSeconds: 10,
          timeoutSeconds: 2,
          expectStatus: 200,
        },
      },
      { name: 'ccd01', group: 'default', critical: false },
    ]);
    const many = (n: number) =>
      `nodes:\n${Array.from({ length: n }, (_, i) => `  - { name: d${i}, probe: { tcp: "10.0.0.5:502" } }\n`).join('')}`;
    expect(loadInventory(write(many(MAX_PROBES))).size).toBe(MAX_PROBES);
    expect(problem(loadInventory, many(MAX_PROBES + 1))).toBe(
      `FILE:${MAX_PROBES + 2}: nodes[${MAX_PROBES}].probe: more than ${MAX_PROBES} probes`,
    );
  });

  test('a missing file names the path', () => {
    expect(() => loadInventory(join(dir, 'missing.yaml'))).toThrow(
      new RegExp(`^Cannot read inventory "${join(dir, 'missing.yaml')}": ENOENT`),
    );
  });
});

describe('YAML excerpts never show a secret', () => {
  test('a bad line of a tokens file is shown without its value', () => {
    const message = problem(TokenGrants.load, 'tokens:\n  - { token: "s3cret-s3cret-s3cret, nodes: [a] }\n');
    expect(message).toMatch(/^FILE:\d+:\d+: invalid YAML in the auth tokens file: /);
    expect(message).not.toContain('s3cret');
  });
});

describe('reload bookkeeping', () => {
  const levels = (warning: number, error: number) => ({ warning, error });
  test.each([
    ['nothing', {}, {}, 0],
    ['one default changed', { defaults: { cpu: levels(85, 95) } }, { defaults: { cpu: levels(80, 95) } }, 1],
    ['one added, one removed', { defaults: { cpu: levels(85, 95) } }, { defaults: { mem: levels(85, 95) } }, 2],
    [
      'a group and a node override added',
      {},
      { groups: { cameras: { disk: levels(90, 95) } }, nodes: { ccd01: { disk: levels(1, 2), cpu: levels(1, 2) } } },
      3,
    ],
    [
      'the same level moved from defaults to a group',
      { defaults: { disk: levels(90, 95) } },
      { groups: { defaults: { disk: levels(90, 95) } } },
      2,
    ],
  ])('countChangedLevels: %s', (_, before, after, changed) => {
    const full = (c: object) => ({ defaults: {}, groups: {}, nodes: {}, ...c });
    expect(countChangedLevels(full(before), full(after))).toBe(changed);
  });

  test('inventoryChanges counts added, removed and regrouped nodes', () => {
    const entry = (name: string, group = 'default', critical = false) => [name, { name, group, critical }] as const;
    const before = new Map([entry('a'), entry('b'), entry('c', 'cameras')]);
    const after = new Map([entry('a'), entry('c', 'cameras', true), entry('d'), entry('e')]);
    expect(inventoryChanges(before, after)).toEqual({ added: 2, removed: 1, changed: 1 });
  });

  test('inventoryChanges counts a node whose probe changed', () => {
    const probe = (target: string) => ({ kind: 'tcp' as const, target, intervalSeconds: 10, timeoutSeconds: 2 });
    const before = new Map([
      ['plc', { name: 'plc', group: 'dome', critical: true, probe: probe('10.0.0.5:502') }],
      ['sw', { name: 'sw', group: 'net', critical: false, probe: probe('10.0.0.6:22') }],
    ]);
    const after = new Map([
      ['plc', { name: 'plc', group: 'dome', critical: true, probe: probe('10.0.0.7:502') }],
      ['sw', { name: 'sw', group: 'net', critical: false, probe: probe('10.0.0.6:22') }],
    ]);
    expect(inventoryChanges(before, after)).toEqual({ added: 0, removed: 0, changed: 1 });
  });
});
