import { describe, expect, test } from 'vitest';
import type { InventoryEntry } from '../../../bridge/state/inventory.ts';
import { NodeTable, type NodeTableLimits } from '../../../bridge/state/node-table.ts';

const NOW_MS = 1_763_884_800_000;
const NOW = NOW_MS / 1000;
const limits: NodeTableLimits = {
  maxNodes: 100,
  maxSeriesPerNode: 10,
  backfillWindowSeconds: 3600,
  futureToleranceSeconds: 60,
  enforceInventory: false,
};
const inventory = (...entries: Array<[string, string?, boolean?]>) =>
  new Map<string, InventoryEntry>(
    entries.map(([name, group = 'default', critical = false]) => [name, { name, group, critical }]),
  );
const report = (node: string) => ({ node, timestamp: NOW, samples: [{ key: 'cpu', value: 5 }] });
const facts = (table: NodeTable) =>
  [...table.nodes()]
    .map((n) => `${n.name}:${n.group}:${n.critical}:${n.inInventory}:${n.series.get('cpu')?.value ?? '-'}`)
    .sort();

describe('NodeTable.replaceInventory (SIGHUP reload)', () => {
  test('adds new nodes as never reported, updates group and criticality, demotes removed nodes that reported, drops those that never did', () => {
    const table = new NodeTable(
      limits,
      inventory(['kept', 'cameras'], ['regrouped'], ['gone-reported'], ['gone-silent']),
    );
    for (const name of ['kept', 'regrouped', 'gone-reported', 'outsider'])
      expect(table.accept(report(name), NOW_MS).ok).toBe(true);
    table.replaceInventory(inventory(['kept', 'cameras'], ['regrouped', 'dome', true], ['outsider', 'lab'], ['new']));
    expect(facts(table)).toEqual([
      'gone-reported:default:false:false:5',
      'kept:cameras:false:true:5',
      'new:default:false:true:-',
      'outsider:lab:false:true:5',
      'regrouped:dome:true:true:5',
    ]);
    // A demoted node is an ordinary node now: forgotten once silent for --forget-after.
    expect(table.forget(NOW_MS + 10_000, 5_000)).toBe(1);
    expect(table.get('gone-reported')).toBeUndefined();
    expect(table.get('new')).toBeDefined();
  });

  test('with --enforce-inventory a removed node is dropped and its reports refused from then on', () => {
    const table = new NodeTable({ ...limits, enforceInventory: true }, inventory(['a'], ['b']));
    expect(table.accept(report('b'), NOW_MS).ok).toBe(true);
    table.replaceInventory(inventory(['a'], ['c']));
    expect(table.get('b')).toBeUndefined();
    expect(table.accept(report('b'), NOW_MS)).toEqual({ ok: false, reason: 'unknown_node' });
    expect(table.accept(report('c'), NOW_MS).ok).toBe(true);
  });

  test('a regrouped node is a new object that carries its state on; the old object keeps what it last read', () => {
    const table = new NodeTable(limits, inventory(['a', 'cameras']));
    table.accept({ node: 'a', timestamp: NOW - 20, samples: [{ key: 'cpu', value: 3 }] }, NOW_MS - 10_000);
    const before = table.get('a')!;
    table.replaceInventory(inventory(['a', 'dome']));
    const after = table.get('a')!;
    expect(after).not.toBe(before);
    expect(after.series).toBe(before.series);
    table.accept({ node: 'a', timestamp: NOW, samples: [{ key: 'cpu', value: 4 }] }, NOW_MS);
    expect([after.group, after.lastTimestamp, after.lastReceivedAt, after.series.get('cpu')?.value]).toEqual([
      'dome',
      NOW,
      NOW_MS,
      4,
    ]);
    expect([before.group, before.lastTimestamp, before.lastReceivedAt]).toEqual(['cameras', NOW - 20, NOW_MS - 10_000]);
  });

  test('a node whose facts did not change keeps its state object (nothing to re-render)', () => {
    const table = new NodeTable(limits, inventory(['a', 'cameras', true]));
    const before = table.get('a');
    table.replaceInventory(inventory(['a', 'cameras', true]));
    expect(table.get('a')).toBe(before);
  });
});
