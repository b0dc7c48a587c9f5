import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { readNodeState, restoreNodeState, saveNodeState } from '../../../bridge/state/node-state-file.ts';
import { NodeTable, type NodeState, type NodeTableLimits } from '../../../bridge/state/node-table.ts';
import type { InventoryEntry } from '../../../bridge/state/inventory.ts';

const NOW_MS = 1_763_884_800_000;
const NOW = NOW_MS / 1000;
const limits: NodeTableLimits = {
  maxNodes: 100,
  maxSeriesPerNode: 10,
  backfillWindowSeconds: 86_400,
  futureToleranceSeconds: 60,
  enforceInventory: false,
};
const bounds = { maxNodes: 100, maxSeriesPerNode: 10 };
const inventory = new Map<string, InventoryEntry>([['cam1', { name: 'cam1', group: 'cameras', critical: true }]]);

let dir: string;
let path: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'obsmon-state-'));
  path = join(dir, 'nodes.json');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** cam1 (inventory) and web1 reported; idle (inventory) never did. */
function filledTable(): NodeTable {
  const table = new NodeTable(
    limits,
    new Map([...inventory, ['idle', { name: 'idle', group: 'default', critical: false }]]),
  );
  table.accept(
    {
      node: 'cam1',
      timestamp: NOW - 70,
      samples: [
        { key: 'cpu', value: 12.5 },
        { key: 'disk', qualifier: '/data', value: 97 },
        { key: 'dome_temp', value: -3 },
      ],
    },
    NOW_MS - 69_000,
    'obsmon-exporter/0.1.0',
  );
  table.accept({ node: 'web1', timestamp: NOW - 5, samples: [{ key: 'mem', value: 40 }] }, NOW_MS - 4_000);
  return table;
}

const header = (savedAt = NOW_MS) => JSON.stringify({ format: 'obsmon-node-state', version: 1, savedAt });
const nodeLine = (node: unknown, series: unknown[] = [['cpu', null, 1, NOW, NOW_MS]]) =>
  JSON.stringify({ node, lastTimestamp: NOW, lastReceivedAt: NOW_MS, clockSkewSeconds: 0, series });
const agentLine = (node: string, agent: unknown) =>
  JSON.stringify({ ...(JSON.parse(nodeLine(node)) as object), agent });
const file = (...nodeLines: string[]) =>
  `${[header(), ...nodeLines, JSON.stringify({ end: true, nodes: nodeLines.length })].join('\n')}\n`;

/** What a node holds, as data: its numbers are accessors over the table's shared blocks. */
const plain = (n: NodeState) => ({
  name: n.name,
  group: n.group,
  critical: n.critical,
  inInventory: n.inInventory,
  lastTimestamp: n.lastTimestamp,
  lastReceivedAt: n.lastReceivedAt,
  clockSkewSeconds: n.clockSkewSeconds,
  agent: n.agent,
  customKeys: [...n.customKeys],
  series: [...n.series.values()].map((s) => ({
    key: s.key,
    qualifier: s.qualifier,
    value: s.value,
    timestamp: s.timestamp,
    receivedAt: s.receivedAt,
    status: s.status,
  })),
});

describe('node state file', () => {
  test('round trip: every reported node with its times, skew and values; never-reported nodes are not written', async () => {
    const before = filledTable();
    expect(await saveNodeState(path, before.nodes(), NOW_MS)).toBe(2);
    const after = new NodeTable(limits, inventory);
    const summary = await restoreNodeState(path, after, bounds, NOW_MS);
    expect(summary.outcome).toBe('ok');
    expect(summary.restored).toBe(2);
    for (const name of ['cam1', 'web1']) {
      const [a, b] = [before.get(name)!, after.get(name)!];
      expect(plain(b)).toEqual(plain(a));
    }
    // Group and critical come from today's inventory, not the file.
    expect(after.get('cam1')).toMatchObject({ group: 'cameras', critical: true, inInventory: true });
    expect(after.get('web1')).toMatchObject({ group: 'default', critical: false, inInventory: false });
    expect(after.get('idle')).toBeUndefined();
    // The AGENT a node last reported with is kept; a node without one stays unknown.
    expect(after.get('cam1')?.agent).toBe('obsmon-exporter/0.1.0');
    expect(after.get('web1')?.agent).toBeUndefined();
  });

  test('atomic: written to a temporary file and renamed; a failed save leaves the previous file whole', async () => {
    await saveNodeState(path, filledTable().nodes(), NOW_MS);
    const previous = readFileSync(path, 'utf8');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(() => statSync(`${path}.tmp`)).toThrow();
    // The temporary name taken by a directory: the save fails before touching the real file.
    mkdirSync(`${path}.tmp`);
    const table = filledTable();
    table.accept({ node: 'new1', timestamp: NOW, samples: [{ key: 'cpu', value: 1 }] }, NOW_MS);
    await expect(saveNodeState(path, table.nodes(), NOW_MS)).rejects.toThrow(/EISDIR/);
    expect(readFileSync(path, 'utf8')).toBe(previous);
  });

  test('a file cut short at any byte is never half applied', async () => {
    await saveNodeState(path, filledTable().nodes(), NOW_MS);
    const whole = readFileSync(path);
    for (let cut = 0; cut < whole.length - 1; cut += 1) {
      writeFileSync(path, whole.subarray(0, cut));
      const table = new NodeTable(limits);
      const summary = await restoreNodeState(path, table, bounds, NOW_MS);
      expect(summary.outcome, `cut at ${cut}`).toBe('invalid');
      expect(table.size).toBe(0);
    }
    writeFileSync(path, whole.subarray(0, whole.length - 1));
    expect((await readNodeState(path, bounds, NOW_MS)).kind).toBe('ok');
  });

  test('a missing file is a first start, not an error', async () => {
    expect(await readNodeState(path, bounds, NOW_MS)).toEqual({ kind: 'missing' });
  });

  test.each([
    ['garbage bytes', '\x00\xff\x01 not json\n', /line 1 is not JSON/],
    ["another program's JSON", '{"nodes":[]}\n', /not an obsmon node state file/],
    [
      'a later version',
      `${JSON.stringify({ format: 'obsmon-node-state', version: 2, savedAt: NOW_MS })}\n`,
      /version 2/,
    ],
    ['a node name the wire rejects', file(nodeLine('bad name')), /bad_node/],
    ['a name that smuggles fields', file(nodeLine('x 1 cpu=1')), /bad_node/],
    ['a key that smuggles fields', file(nodeLine('n1', [['cpu=1 mem', null, 1, NOW, NOW_MS]])), /bad_key/],
    ['a key the wire rejects', file(nodeLine('n1', [['CPU!', null, 1, NOW, NOW_MS]])), /bad_key/],
    ['a qualifier with "="', file(nodeLine('n1', [['disk', 'a=b', 1, NOW, NOW_MS]])), /bad_(key|value)/],
    ['a value out of range', file(nodeLine('n1', [['cpu', null, 500, NOW, NOW_MS]])), /bad_value/],
    ['a value that is not a number', file(nodeLine('n1', [['cpu', null, 'NaN', NOW, NOW_MS]])), /series is not/],
    ['a non-finite time', file(nodeLine('n1', [['cpu', null, 1, null, NOW_MS]])), /series timestamp/],
    [
      'the same series twice',
      file(
        nodeLine('n1', [
          ['cpu', null, 1, NOW, NOW_MS],
          ['cpu', null, 2, NOW, NOW_MS],
        ]),
      ),
      /duplicate_key/,
    ],
    ['the same node twice', file(nodeLine('n1'), nodeLine('n1')), /a second time/],
    ['an agent that is not one AGENT token', file(agentLine('n1', 'my agent/1')), /agent: expected/],
    ['an agent that is not a string', file(agentLine('n1', ['a/1'])), /agent: expected/],
    ['an agent over 64 characters', file(agentLine('n1', `a/${'x'.repeat(63)}`)), /agent: expected/],
    [
      'an end line with the wrong count',
      `${[header(), nodeLine('n1'), JSON.stringify({ end: true, nodes: 2 })].join('\n')}\n`,
      /counts 2 nodes/,
    ],
    ['data after the end line', `${file(nodeLine('n1'))}${nodeLine('n2')}\n`, /after the end line/],
    [
      'a line longer than any node the limits allow',
      file(
        nodeLine(
          'n1',
          Array.from({ length: 50 }, (_, i) => [`k${i}`, 'q'.repeat(64), 1, NOW, NOW_MS]),
        ),
      ),
      /longer than/,
    ],
  ])('rejects %s whole, with a reason, and restores nothing', async (_name, content, problem) => {
    writeFileSync(path, content, 'latin1');
    const read = await readNodeState(path, { maxNodes: 100, maxSeriesPerNode: 2 }, NOW_MS);
    expect(read.kind).toBe('invalid');
    expect(read.kind === 'invalid' && read.problem).toMatch(problem);
    const table = new NodeTable(limits);
    await restoreNodeState(path, table, bounds, NOW_MS);
    expect(table.size).toBe(0);
  });

  test('node names are data: __proto__ and constructor become ordinary nodes', async () => {
    writeFileSync(path, file(nodeLine('__proto__'), nodeLine('constructor')));
    const table = new NodeTable(limits);
    expect((await restoreNodeState(path, table, bounds, NOW_MS)).restored).toBe(2);
    expect([...table.nodes()].map((n) => n.name).sort()).toEqual(['__proto__', 'constructor']);
    expect(({} as Record<string, unknown>)['cpu']).toBeUndefined();
  });

  test('bounds: --max-nodes, --max-series-per-node, custom keys and --enforce-inventory apply to what is restored', async () => {
    const series = [
      ['cpu', null, 1, NOW, NOW_MS],
      ['mem', null, 2, NOW, NOW_MS],
      ['a', null, 3, NOW, NOW_MS],
      ['b', null, 4, NOW, NOW_MS],
    ];
    writeFileSync(path, file(nodeLine('cam1', series), nodeLine('n2', series), nodeLine('n3'), nodeLine('n4')));
    const table = new NodeTable({ ...limits, maxNodes: 2, maxSeriesPerNode: 3, maxCustomKeysPerNode: 1 }, inventory);
    const summary = await restoreNodeState(path, table, { maxNodes: 3, maxSeriesPerNode: 3 }, NOW_MS);
    // The reader keeps 3 of 4 lines; the table (cam1 from the inventory + one more) takes 2 of them.
    expect(Object.fromEntries(summary.dropped)).toEqual({ too_many_nodes: 2, too_many_series: 2 });
    expect([...table.nodes()].map((n) => n.name)).toEqual(['cam1', 'n2']);
    expect([...table.get('n2')!.series.keys()]).toEqual(['cpu', 'mem', 'a']);

    const enforced = new NodeTable({ ...limits, enforceInventory: true }, inventory);
    const onlyInventory = await restoreNodeState(path, enforced, bounds, NOW_MS);
    expect(Object.fromEntries(onlyInventory.dropped)).toEqual({ unknown_node: 3 });
    expect(enforced.get('cam1')!.lastReceivedAt).toBe(NOW_MS);
  });

  test('times later than now (a clock stepped back, a forged file) are taken as now, never later', async () => {
    writeFileSync(
      path,
      file(
        JSON.stringify({
          node: 'n1',
          lastTimestamp: NOW,
          lastReceivedAt: NOW_MS + 3_600_000,
          clockSkewSeconds: 0,
          series: [['cpu', null, 1, NOW, NOW_MS + 3_600_000]],
        }),
      ),
    );
    const table = new NodeTable(limits);
    await restoreNodeState(path, table, bounds, NOW_MS);
    expect(table.get('n1')!.lastReceivedAt).toBe(NOW_MS);
    expect(table.get('n1')!.series.get('cpu')!.receivedAt).toBe(NOW_MS);
  });
});
