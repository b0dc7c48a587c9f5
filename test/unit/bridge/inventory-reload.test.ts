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

  test('a node whose facts did not change keeps its state object (nothing to re-render)', () => {
    const table = new NodeTable(limits, inventory(['a', 'cameras', true]));
    const before = table.get('a');
    table.replaceInventory(inventory(['a', 'cameras', true]));
    expect(table.get('a')).toBe(before);
  });
});
