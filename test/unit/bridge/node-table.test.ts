import { describe, expect, test } from 'vitest';
import { NodeTable, isUp, type NodeTableLimits } from '../../../bridge/state/node-table.ts';
import type { InventoryEntry } from '../../../bridge/state/inventory.ts';
import type { Report } from '../../../protocol/line.ts';

const NOW_MS = 1_763_884_800_000;
const NOW = NOW_MS / 1000;
const limits: NodeTableLimits = {
  maxNodes: 3,
  maxSeriesPerNode: 3,
  backfillWindowSeconds: 3600,
  futureToleranceSeconds: 60,
  enforceInventory: false,
};

const report = (node: string, timestamp: number, samples: Record<string, number>): Report => ({
  node,
  timestamp,
  samples: Object.entries(samples).map(([id, value]) => {
    const [key, qualifier] = id.split('@') as [string, string | undefined];
    return qualifier === undefined ? { key, value } : { key, qualifier, value };
  }),
});

describe('NodeTable', () => {
  test('keeps the newest value by agent timestamp: a replayed older report never overwrites it', () => {
    const table = new NodeTable(limits);
    table.accept(report('a', NOW - 10, { cpu: 50 }), NOW_MS);
    table.accept(report('a', NOW - 100, { cpu: 99 }), NOW_MS);
    const node = table.get('a')!;
    expect(node.series.get('cpu')?.value).toBe(50);
    expect(node.lastTimestamp).toBe(NOW - 10);
  });

  test('accepts old reports inside the backfill window and rejects older ones as too_old', () => {
    const table = new NodeTable(limits);
    expect(table.accept(report('a', NOW - 3599, { cpu: 1 }), NOW_MS).ok).toBe(true);
    expect(table.accept(report('a', NOW - 3601, { cpu: 1 }), NOW_MS)).toEqual({ ok: false, reason: 'too_old' });
  });

  test('a future timestamp beyond the tolerance is stored at receive time and its skew recorded', () => {
    const table = new NodeTable(limits);
    const outcome = table.accept(report('a', NOW + 3600, { cpu: 7 }), NOW_MS);
    expect(outcome.ok && outcome.report.timestamp).toBe(NOW);
    expect(outcome.ok && outcome.clockAhead).toBe(true);
    expect(table.get('a')!.clockSkewSeconds).toBe(3600);
    // The broken clock does not hide the next correct report.
    table.accept(report('a', NOW + 1, { cpu: 8 }), NOW_MS + 1000);
    expect(table.get('a')!.series.get('cpu')?.value).toBe(8);
    expect(table.get('a')!.clockSkewSeconds).toBe(0);
  });

  test('within the tolerance a slightly fast clock is kept as sent', () => {
    const table = new NodeTable(limits);
    const outcome = table.accept(report('a', NOW + 30, { cpu: 7 }), NOW_MS);
    expect(outcome.ok && outcome.report.timestamp).toBe(NOW + 30);
    expect(outcome.ok && outcome.clockAhead).toBe(false);
  });

  test('refuses new nodes past maxNodes but keeps serving known ones', () => {
    const table = new NodeTable(limits);
    for (const n of ['a', 'b', 'c']) expect(table.accept(report(n, NOW, { cpu: 1 }), NOW_MS).ok).toBe(true);
    expect(table.accept(report('d', NOW, { cpu: 1 }), NOW_MS)).toEqual({ ok: false, reason: 'too_many_nodes' });
    expect(table.accept(report('a', NOW + 1, { cpu: 2 }), NOW_MS).ok).toBe(true);
    expect(table.size).toBe(3);
  });

  test('past maxSeriesPerNode new series are dropped while known series keep updating', () => {
    const table = new NodeTable(limits);
    table.accept(report('a', NOW, { cpu: 1, mem: 2, 'disk@/': 3 }), NOW_MS);
    const outcome = table.accept(report('a', NOW + 1, { cpu: 5, 'disk@/data': 4, 'disk@/x': 6 }), NOW_MS);
    expect(outcome.ok && outcome.droppedSamples).toBe(2);
    expect(outcome.ok && outcome.report.samples.map((s) => s.key)).toEqual(['cpu']);
    const node = table.get('a')!;
    expect(node.series.size).toBe(3);
    expect(node.series.get('cpu')?.value).toBe(5);
  });

  test("a node's series answer like a Map by id, in arrival order, below and above the size that indexes them", () => {
    const table = new NodeTable({ ...limits, maxSeriesPerNode: 100 });
    for (const count of [3, 40]) {
      const ids = Array.from({ length: count }, (_, i) => (i % 2 === 0 ? `t${i}` : `disk@/d${i}`));
      const node = `n${count}`;
      // One series per report, then all of them again: each id stays one series and takes the newest value.
      for (const id of ids) table.accept(report(node, NOW - 20, { [id]: 1 }), NOW_MS);
      table.accept(report(node, NOW - 10, Object.fromEntries(ids.map((id, i) => [id, i]))), NOW_MS);
      const series = table.get(node)!.series;
      expect(series.size).toBe(count);
      expect([...series.keys()]).toEqual(ids);
      expect([...series].map(([id, s]) => [id, s.value])).toEqual(ids.map((id, i) => [id, i]));
      expect([...series.values()].map((s) => s.value)).toEqual(ids.map((_, i) => i));
      expect(series.get(ids[count - 1]!)?.value).toBe(count - 1);
      expect(series.find('disk', '/d1')?.value).toBe(1);
      expect(series.has('disk@/d2')).toBe(false);
      expect(series.has('disk')).toBe(false);
      expect(series.get('t0@x')).toBeUndefined();
    }
  });

  test("an accepted report names each sample's slot in the table; its samples are the report's own unless one was dropped", () => {
    const table = new NodeTable(limits);
    const first = report('a', NOW, { cpu: 1, 'disk@/data': 2 });
    const whole = table.accept(first, NOW_MS);
    const node = table.get('a')!;
    expect(whole.ok && whole.report.samples).toBe(first.samples);
    expect(whole.ok && whole.report.series).toEqual([node.series.get('cpu'), node.series.get('disk@/data')]);
    expect(whole.ok && whole.report.series![0]).toBe(node.series.get('cpu'));
    // A replayed older value is still the slot of its series (which keeps the newer value).
    const older = table.accept(report('a', NOW - 5, { 'disk@/data': 9, cpu: 8 }), NOW_MS);
    expect(older.ok && older.report.series).toEqual([node.series.get('disk@/data'), node.series.get('cpu')]);
    expect(node.series.get('cpu')?.value).toBe(1);
    // Past maxSeriesPerNode (3): the dropped samples leave both lists, which stay aligned.
    const part = table.accept(report('a', NOW + 1, { x: 1, cpu: 5, y: 2, 'disk@/data': 6 }), NOW_MS);
    expect(part.ok && part.report.samples.map((s) => s.key)).toEqual(['x', 'cpu', 'disk']);
    expect(part.ok && part.report.series!.map((s) => s.key)).toEqual(['x', 'cpu', 'disk']);
    expect(part.ok && part.report.series![2]).toBe(node.series.get('disk@/data'));
  });

  test('custom keys are bounded and counted per node (one node taking keys leaves the others theirs)', () => {
    const table = new NodeTable({ ...limits, maxSeriesPerNode: 10, maxCustomKeysPerNode: 2 });
    const a = table.accept(report('a', NOW, { cpu: 1, dome: 1, fan: 2, seeing: 3 }), NOW_MS);
    const b = table.accept(report('b', NOW, { cpu: 1, seeing: 3 }), NOW_MS);
    expect(a.ok && a.droppedCustomKeys).toBe(1);
    expect(b.ok && b.droppedCustomKeys).toBe(0);
    expect([...table.get('a')!.customKeys]).toEqual(['dome', 'fan']);
    expect([...table.get('b')!.customKeys]).toEqual(['seeing']);
    expect([...table.get('a')!.series.keys()]).toEqual(['cpu', 'dome', 'fan']);
    table.accept(report('c', NOW, { cpu: 1 }), NOW_MS);
    expect(table.get('c')!.customKeys.size).toBe(0);
  });

  test('inventory nodes exist before reporting; an enforced inventory rejects others as unknown_node', () => {
    const inventory = new Map<string, InventoryEntry>([['ccd01', { name: 'ccd01', group: 'cameras', critical: true }]]);
    const table = new NodeTable({ ...limits, enforceInventory: true }, inventory);
    const ccd = table.get('ccd01')!;
    expect(ccd.group).toBe('cameras');
    expect(isUp(ccd, NOW_MS, 60_000)).toBe(false);
    expect(table.accept(report('intruder', NOW, { cpu: 1 }), NOW_MS)).toEqual({ ok: false, reason: 'unknown_node' });
    expect(table.accept(report('ccd01', NOW, { cpu: 1 }), NOW_MS).ok).toBe(true);
    expect(isUp(table.get('ccd01')!, NOW_MS + 60_000, 60_000)).toBe(true);
    expect(isUp(table.get('ccd01')!, NOW_MS + 60_001, 60_000)).toBe(false);
  });

  test('forgets silent nodes after forgetAfter, except inventory nodes', () => {
    const inventory = new Map<string, InventoryEntry>([['keep', { name: 'keep', group: 'default', critical: false }]]);
    const table = new NodeTable(limits, inventory);
    table.accept(report('keep', NOW, { cpu: 1 }), NOW_MS);
    table.accept(report('gone', NOW, { cpu: 1 }), NOW_MS);
    expect(table.forget(NOW_MS + 10_000, 10_000)).toBe(0);
    expect(table.forget(NOW_MS + 10_001, 10_000)).toBe(1);
    expect([...table.nodes()].map((n) => n.name)).toEqual(['keep']);
  });

  test("a forgotten node still held elsewhere keeps reading its last values after its numbers' slots went to new nodes", () => {
    const table = new NodeTable({ ...limits, maxNodes: 2000 });
    table.accept(report('gone', NOW - 5, { cpu: 7.5, 'disk@/': 91.25 }), NOW_MS);
    const held = table.get('gone')!;
    const series = [...held.series.values()];
    expect(table.forget(NOW_MS + 20_000, 10_000)).toBe(1);
    // Enough new nodes to take every freed slot and more; their numbers differ from the forgotten one's.
    for (let i = 0; i < 1500; i += 1)
      table.accept(report(`n${i}`, NOW + 10, { cpu: i, 'disk@/': i + 0.5 }), NOW_MS + 20_000);
    expect(held.lastTimestamp).toBe(NOW - 5);
    expect(held.lastReceivedAt).toBe(NOW_MS);
    expect(held.clockSkewSeconds).toBe(-5);
    expect(series.map((s) => [s.key, s.value, s.timestamp, s.receivedAt])).toEqual([
      ['cpu', 7.5, NOW - 5, NOW_MS],
      ['disk', 91.25, NOW - 5, NOW_MS],
    ]);
    // And the new nodes own their numbers: none was overwritten by another.
    for (const i of [0, 1, 767, 1499]) {
      const node = table.get(`n${i}`)!;
      expect([node.series.get('cpu')?.value, node.series.get('disk@/')?.value, node.lastTimestamp]).toEqual([
        i,
        i + 0.5,
        NOW + 10,
      ]);
    }
  });

  test("nodes coming and going reuse the numbers' slots: the blocks stay at the most held at once", () => {
    const table = new NodeTable({ ...limits, maxNodes: 1000 });
    let t = NOW_MS;
    const round = (prefix: string) => {
      for (let i = 0; i < 600; i += 1) table.accept(report(`${prefix}${i}`, t / 1000, { cpu: 1, mem: 2 }), t);
      t += 20_000;
      return table.forget(t, 10_000);
    };
    round('a');
    const afterOne = table.numberBytes;
    expect(afterOne).toBeGreaterThan(0);
    for (let r = 0; r < 20; r += 1) expect(round(`r${r}-`)).toBe(600);
    expect(table.size).toBe(0);
    expect(table.numberBytes).toBe(afterOne);
  });

  test('a node never reported reads its times as undefined, not as a number', () => {
    const inventory = new Map<string, InventoryEntry>([
      ['spare', { name: 'spare', group: 'default', critical: false }],
    ]);
    const node = new NodeTable(limits, inventory).get('spare')!;
    expect([node.lastTimestamp, node.lastReceivedAt, node.clockSkewSeconds]).toEqual([undefined, undefined, 0]);
    expect(isUp(node, NOW_MS, 60_000)).toBe(false);
  });
});
