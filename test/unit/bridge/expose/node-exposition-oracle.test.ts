import { describe, expect, test } from 'vitest';
import { nodeTextBytes, renderNodeExposition } from '../../../../bridge/expose/node-exposition.ts';
import { fractionDigits } from '../../../../lib/number-text.ts';
import type { InventoryEntry } from '../../../../bridge/state/inventory.ts';
import { NodeTable } from '../../../../bridge/state/node-table.ts';
import { loadThresholdsConfig, Thresholds, type ThresholdsConfig } from '../../../../config/thresholds.ts';
import { parseLine, type Sample } from '../../../../protocol/line.ts';
import { oracleNodeExposition } from '../../../helpers/exposition-oracle.ts';
import { checkMetrics } from '../../../helpers/promtool.ts';

const NOW = 1_763_884_800_000;
const T = NOW / 1000;
const DOWN_AFTER = 60_000;
const builtin = loadThresholdsConfig();

/** A small deterministic generator, so a failure names a reproducible case. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1_664_525) + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

function newTable(inventory: ReadonlyMap<string, InventoryEntry> = new Map()): NodeTable {
  return new NodeTable(
    {
      maxNodes: 100_000,
      maxSeriesPerNode: 256,
      backfillWindowSeconds: 86_400,
      futureToleranceSeconds: 60,
      enforceInventory: false,
      maxCustomKeysPerNode: 64,
    },
    inventory,
  );
}

function accept(table: NodeTable, line: string, at: number, agent?: string): void {
  const parsed = parseLine(line);
  if (!parsed.ok) throw new Error(`${line}: ${parsed.reason}`);
  expect(table.accept(parsed.report, at, agent).ok).toBe(true);
}

const VALUES = [0, -0, 1, -3, 12.5, 0.5, 99.99, 0.000001, 1e-7, 2147483647, 2147483648, -2.25];
const VALUES_MORE = [12345678901.5, 0.1, 0.1 + 0.2, 1e21, 123456.789012, -0.3429999351501465, 3.14159];
const KEYS: [string, string | undefined][] = [
  ['cpu', undefined],
  ['cpu', '0'],
  ['cpu', '1'],
  ['mem', undefined],
  ['disk', undefined],
  ['disk', '/data'],
  ['rx', undefined],
  ['rx', 'eth"0'],
  ['temp', 'gpu'],
  ['load1', undefined],
  ['procs', undefined],
  ['path', 'a\\b'],
];

/** Reports of `nodes` nodes with a random mix of series, values, agents and receive times. */
function fill(table: NodeTable, rnd: () => number, nodes: number, tick: number): void {
  for (let i = 0; i < nodes; i += 1) {
    const samples: Sample[] = KEYS.filter(() => rnd() < 0.6).map(([key, qualifier]) => {
      const pool = rnd() < 0.8 ? VALUES : VALUES_MORE;
      const value = pool[Math.floor(rnd() * pool.length)]!;
      return qualifier === undefined ? { key, value } : { key, qualifier, value };
    });
    if (rnd() < 0.2) samples.push({ key: `custom_${i % 3}`, value: Math.floor(rnd() * 1000) / 10 });
    // Some nodes report long ago (down), some a while ago (their older series stale), most just now.
    const age = rnd() < 0.1 ? 120_000 : rnd() < 0.2 ? 40_000 : 0;
    const agent = rnd() < 0.3 ? undefined : rnd() < 0.5 ? 'obsmon-exporter/0.1.0' : `odd"agent\\${i % 2}/1`;
    const at = NOW + tick * 1000 - age;
    expect(table.accept({ node: `node${i}`, timestamp: at / 1000, samples }, at, agent).ok).toBe(true);
  }
}

const inMaintenance = (node: string) => (node.endsWith('3') ? { reason: 'test' } : null);
const OPTIONS = [{ downAfterMs: DOWN_AFTER }, { downAfterMs: DOWN_AFTER, maintenance: inMaintenance as never }];

function firstDifference(a: string, b: string): string {
  const x = a.split('\n');
  const y = b.split('\n');
  const at = x.findIndex((line, i) => line !== y[i]);
  return `line ${at}: ${JSON.stringify(x.slice(at, at + 3))} vs ${JSON.stringify(y.slice(at, at + 3))}`;
}

function expectSameAsOracle(table: NodeTable, thresholds: Thresholds, at: number): string {
  let text = '';
  for (const options of OPTIONS) {
    text = renderNodeExposition(table, thresholds, at, options);
    const oracle = oracleNodeExposition(table, thresholds, at, options);
    // Compared as strings of lines: a difference shows as the first lines that differ, not a dump of bytes.
    if (text !== oracle) expect(firstDifference(text, oracle)).toBe('none');
    expect(Buffer.byteLength(text)).toBe(Buffer.byteLength(oracle));
  }
  return text;
}

describe('the node exposition, byte for byte the text of the renderer it replaced (test/helpers/exposition-oracle.ts)', () => {
  test('random tables: series, qualifiers to escape, custom keys, agents, down nodes, stale series, maintenance, inventory', () => {
    for (let seed = 1; seed <= 6; seed += 1) {
      const rnd = random(seed);
      const inventory = new Map<string, InventoryEntry>([
        ['node1', { name: 'node1', group: 'cameras', critical: true }],
        ['never', { name: 'never', group: 'Kuppel-ä "Süd"', critical: false }],
      ]);
      const table = newTable(inventory);
      const thresholds = new Thresholds({
        ...builtin,
        groups: { cameras: { cpu: { warning: 50, error: 60.5 } } },
        nodes: { node2: { mem: { warning: 1, error: 2 } } },
      } as ThresholdsConfig);
      fill(table, rnd, 300, 0);
      expectSameAsOracle(table, thresholds, NOW);
      // Again after ingest changed values, added series and nodes, and the cache was built.
      fill(table, rnd, 320, 5);
      expectSameAsOracle(table, thresholds, NOW + 5000);
      expectSameAsOracle(table, thresholds, NOW + 50_000);
    }
  });

  test("a node's pieces of every length, at every offset in a chunk, copied as they are (4-byte words, then the rest)", () => {
    const rnd = random(11);
    const table = newTable();
    // Names of 1 to 64 characters: label sets, heads and up lines of every length modulo 4, some over 64 bytes;
    // 4 000 nodes fill many 64 KB chunks, so pieces start at every offset and chunks end in every way.
    for (let i = 0; i < 4000; i += 1) {
      const name = `n${'abcdefghij'.repeat(7).slice(0, i % 63)}_${i}`.slice(0, 64);
      const samples: Sample[] = KEYS.filter(() => rnd() < 0.5).map(([key, qualifier]) => {
        const value = VALUES[Math.floor(rnd() * VALUES.length)]!;
        return qualifier === undefined ? { key, value } : { key, qualifier, value };
      });
      expect(table.accept({ node: name, timestamp: T, samples }, NOW, i % 2 === 0 ? 'a/1' : undefined).ok).toBe(true);
    }
    expectSameAsOracle(table, Thresholds.load(), NOW);
  });

  test('node texts under churn: nodes appearing and forgotten, new series, agents and reloads; the slabs stay bounded', () => {
    const rnd = random(21);
    const table = newTable();
    const thresholds = new Thresholds(builtin);
    let most = 0;
    for (let round = 0; round < 40; round += 1) {
      const at = NOW + round * 120_000;
      // 200 nodes of this round's names (half of them new each round), some with a series new to them.
      for (let i = 0; i < 200; i += 1) {
        const name = `r${Math.floor((round * 200 + i) / 2) % 900}`;
        const samples: Sample[] = KEYS.filter(() => rnd() < 0.5).map(([key, qualifier]) =>
          qualifier === undefined ? { key, value: i } : { key, qualifier, value: i },
        );
        const agent = rnd() < 0.5 ? undefined : `a${round % 3}/1`;
        expect(table.accept({ node: name, timestamp: at / 1000, samples }, at, agent).ok).toBe(true);
      }
      // Every few rounds a reload: every text is rebuilt.
      if (round % 5 === 4)
        thresholds.replaceWith(
          new Thresholds({ ...builtin, defaults: { ...builtin.defaults, cpu: { warning: round, error: round + 1 } } }),
        );
      expectSameAsOracle(table, thresholds, at);
      table.forget(at, 60_000);
      const { slabs, live, dead } = nodeTextBytes(table);
      // Dead records are reclaimed once they outweigh the live ones and a 256 KB slab; slabs are not left mostly empty.
      expect(dead).toBeLessThanOrEqual(Math.max(live, 256 * 1024));
      expect(slabs).toBeLessThanOrEqual(2 * live + 3 * 256 * 1024);
      most = Math.max(most, slabs);
    }
    // Forgotten nodes leave with the next pass over the table: all of them gone, the slabs go too.
    table.forget(NOW + 100 * 120_000, 60_000);
    expect(table.size).toBe(0);
    expect(renderNodeExposition(table, thresholds, NOW, OPTIONS[0]!)).toBe(
      oracleNodeExposition(table, thresholds, NOW, OPTIONS[0]!),
    );
    expect(nodeTextBytes(table).live).toBe(0);
    expect(nodeTextBytes(table).slabs).toBeLessThan(most);
  });

  test('a node whose text is longer than a slab, between nodes of short texts', () => {
    const table = newTable();
    accept(table, `short1 ${T} cpu=1`, NOW);
    const qualifier = 'q'.repeat(1500);
    const samples: Sample[] = Array.from({ length: 200 }, (_, k) => ({
      key: 'rx',
      qualifier: `${qualifier}${k}`,
      value: k,
    }));
    expect(table.accept({ node: 'long', timestamp: T, samples }, NOW).ok).toBe(true);
    accept(table, `short2 ${T} cpu=2`, NOW);
    const text = expectSameAsOracle(table, Thresholds.load(), NOW);
    expect(Buffer.byteLength(text)).toBeGreaterThan(256 * 1024);
    expect(nodeTextBytes(table).live).toBeGreaterThan(256 * 1024);
  });

  test('every number is written as JavaScript writes it', () => {
    const rnd = random(7);
    const values = [
      0,
      -0,
      1,
      -1,
      0.5,
      1e-6,
      1e-7,
      2 ** 31 - 1,
      2 ** 31,
      -(2 ** 31),
      1e15 - 1,
      1e15,
      -(1e15 - 0.5),
      0.1 + 0.2,
      1e21,
      NaN,
      Infinity,
    ];
    for (let i = 0; i < 20_000; i += 1) {
      const r = rnd() - 0.5;
      values.push(Math.round(r * 10 ** (1 + (i % 10))) / 10 ** (i % 7), r * 10 ** ((i % 24) - 8), r * 2 ** 32);
    }
    const table = new NodeTable({
      maxNodes: 1,
      maxSeriesPerNode: 100_000,
      backfillWindowSeconds: 86_400,
      futureToleranceSeconds: 60,
      enforceInventory: false,
      maxCustomKeysPerNode: 100_000,
    });
    const samples = values.map((value, i) => ({ key: `k${i}`, value }));
    expect(table.accept({ node: 'n', timestamp: T, samples }, NOW).ok).toBe(true);
    const written = new Map<number, string>();
    for (const m of renderNodeExposition(table, Thresholds.load(), NOW, { downAfterMs: DOWN_AFTER }).matchAll(
      /key="k(\d+)"\} (.*)$/gm,
    ))
      written.set(Number(m[1]), m[2]!);
    expect(written.size).toBe(values.length);
    for (const [i, text] of written) expect(text, `value ${values[i]}`).toBe(`${values[i]}`);
    // Short decimals take the path without a string; others fall back to it.
    expect([fractionDigits(12.5), fractionDigits(0.000001), fractionDigits(-3), fractionDigits(0.1 + 0.2)]).toEqual([
      1, 6, 0, -1,
    ]);
  });
});

describe('the digits written without a string', () => {
  test('short decimals whose scaled digits m cross 31 bits, or have fewer digits than decimals, as JavaScript writes them', () => {
    const values = [
      214_748.3647, // m = 2^31 - 1 at 4 decimals: the integer path's last value
      214_748.3648, // m = 2^31: the floating path's first
      -214_748.3648,
      21_474_836.47,
      21_474_836.48,
      2_147_483.648,
      0.000001,
      -0.000001,
      0.00005,
      0.0123,
      0.5,
      -0.05,
      99_999_999.999999,
      123_456_789.123456,
      999_999_999_999_999,
      -0,
      7,
      10,
      100_000,
      1_000_000_000,
    ];
    const table = newTable();
    const samples = values.map((value, i) => ({ key: `k${i}`, value }));
    expect(table.accept({ node: 'n', timestamp: T, samples }, NOW).ok).toBe(true);
    const text = renderNodeExposition(table, Thresholds.load(), NOW, { downAfterMs: DOWN_AFTER });
    const written = new Map([...text.matchAll(/key="k(\d+)"\} (.*)$/gm)].map((m) => [Number(m[1]), m[2]!]));
    expect(written.size).toBe(values.length);
    for (const [i, value] of values.entries()) expect(written.get(i), `value ${value}`).toBe(`${value}`);
    // Most of them take the path without a string.
    expect(values.filter((v) => fractionDigits(v) >= 0).length).toBeGreaterThan(15);
  });
});

describe("a node's rendered text is rebuilt when what it shows changes", () => {
  const level = (text: string, node: string, metric: string, severity: string) =>
    new RegExp(`^obsmon_threshold\\{node="${node}",metric="${metric}",severity="${severity}"\\} (\\S+)$`, 'm').exec(
      text,
    )?.[1];

  test('a reload of the thresholds file (SIGHUP: the same Thresholds object, new levels)', () => {
    const table = newTable();
    accept(table, `ccd01 ${T} cpu=12 mem=40`, NOW);
    const thresholds = new Thresholds(builtin);
    const before = renderNodeExposition(table, thresholds, NOW, { downAfterMs: DOWN_AFTER });
    expect(level(before, 'ccd01', 'cpu', 'warning')).toBe('85');
    thresholds.replaceWith(
      new Thresholds({ ...builtin, defaults: { ...builtin.defaults, cpu: { warning: 70, error: 90 } } }),
    );
    const after = expectSameAsOracle(table, thresholds, NOW);
    expect(level(after, 'ccd01', 'cpu', 'warning')).toBe('70');
    expect(level(after, 'ccd01', 'cpu', 'error')).toBe('90');
    expect(level(after, 'ccd01', 'mem', 'warning')).toBe('85');
  });

  test("a node's new series: its threshold lines and value line appear", () => {
    const table = newTable();
    accept(table, `ccd01 ${T} cpu=12`, NOW);
    const thresholds = new Thresholds(builtin);
    expect(
      level(renderNodeExposition(table, thresholds, NOW, { downAfterMs: DOWN_AFTER }), 'ccd01', 'mem', 'error'),
    ).toBe(undefined);
    accept(table, `ccd01 ${T + 1} cpu=12 mem=41.5`, NOW + 1000);
    const after = expectSameAsOracle(table, thresholds, NOW + 1000);
    expect(level(after, 'ccd01', 'mem', 'error')).toBe('95');
    expect(after).toContain('obsmon_node_memory_usage_percent{node="ccd01"} 41.5\n');
  });

  test('a node that goes down shows up 0 and no values; a forgotten node shows nothing', () => {
    const table = newTable();
    accept(table, `ccd01 ${T} cpu=12`, NOW);
    accept(table, `ccd02 ${T + 100} cpu=13`, NOW + 100_000);
    const thresholds = new Thresholds(builtin);
    expect(renderNodeExposition(table, thresholds, NOW, { downAfterMs: DOWN_AFTER })).toContain(
      'obsmon_node_up{node="ccd01"} 1\n',
    );
    const down = expectSameAsOracle(table, thresholds, NOW + 100_000);
    expect(down).toContain('obsmon_node_up{node="ccd01"} 0\n');
    expect(down).not.toContain('obsmon_node_cpu_usage_percent{node="ccd01"}');
    expect(down).toContain('obsmon_node_cpu_usage_percent{node="ccd02"} 13\n');
    expect(table.forget(NOW + 100_000, 90_000)).toBe(1);
    const forgotten = expectSameAsOracle(table, thresholds, NOW + 100_000);
    expect(forgotten).not.toContain('node="ccd01"');
    expect(forgotten).toContain('obsmon_bridge_nodes 1\n');
    const check = checkMetrics(forgotten);
    expect(check.output).not.toMatch(/error/i);
    expect(check.status).toBe(0);
  });
});
