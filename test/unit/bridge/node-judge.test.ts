import { describe, expect, test } from 'vitest';
import type { InventoryEntry } from '../../../bridge/state/inventory.ts';
import { CompiledThresholds } from '../../../bridge/state/node-judge.ts';
import { NodeTable, type NodeTableLimits } from '../../../bridge/state/node-table.ts';
import { Thresholds, type ThresholdsConfig } from '../../../config/thresholds.ts';

const NOW_MS = 1_763_884_800_000;
const NOW = NOW_MS / 1000;
const limits: NodeTableLimits = {
  maxNodes: 10,
  maxSeriesPerNode: 10,
  backfillWindowSeconds: 3600,
  futureToleranceSeconds: 60,
  enforceInventory: false,
};
const config: ThresholdsConfig = {
  defaults: { disk: { warning: 80, error: 90 } },
  groups: { cameras: { disk: { warning: 90, error: 95 } } },
  nodes: { ccd07: { disk: { warning: 60, error: 70 } } },
};
const inventory = (...entries: Array<[string, string]>) =>
  new Map<string, InventoryEntry>(entries.map(([name, group]) => [name, { name, group, critical: false }]));
const disk = (node: string, value: number, timestamp = NOW) => ({
  node,
  timestamp,
  samples: [{ key: 'disk', value }],
});

/** Thresholds that count how often levels are compiled for a node. */
class CountingThresholds extends Thresholds {
  compiles = 0;
  override forNode(node: string, group: string) {
    this.compiles += 1;
    return super.forNode(node, group);
  }
}

function setup(entries: Array<[string, string]> = [['ccd01', 'cameras']]) {
  const thresholds = new CountingThresholds(config);
  const table = new NodeTable(limits, inventory(...entries), new CompiledThresholds(thresholds).judge);
  const status = (node: string) => table.get(node)?.series.get('disk')?.status;
  return { thresholds, table, status };
}

describe('status judged once, at ingest (NodeTable.accept with CompiledThresholds)', () => {
  test('each value is judged at its node levels: node over group over default, at or above a level', () => {
    const { table, status } = setup([
      ['ccd01', 'cameras'],
      ['ccd07', 'cameras'],
    ]);
    table.accept(disk('web1', 85), NOW_MS);
    table.accept(disk('ccd01', 85), NOW_MS);
    table.accept(disk('ccd07', 70), NOW_MS);
    expect([status('web1'), status('ccd01'), status('ccd07')]).toEqual(['warning', 'ok', 'error']);
    table.accept(disk('ccd01', 95, NOW + 1), NOW_MS);
    expect(status('ccd01')).toBe('error');
  });

  test('levels are compiled once per node, not per report', () => {
    const { thresholds, table } = setup();
    for (let i = 0; i < 50; i += 1) table.accept(disk('ccd01', i, NOW + i), NOW_MS);
    expect(thresholds.compiles).toBe(1);
  });

  test('a replayed older report does not change the live value nor its status', () => {
    const { table, status } = setup();
    table.accept(disk('ccd01', 96), NOW_MS);
    table.accept(disk('ccd01', 10, NOW - 60), NOW_MS);
    expect(status('ccd01')).toBe('error');
  });

  test('a reload of the thresholds compiles again and re-judges every live value at once', () => {
    const { thresholds, table, status } = setup();
    table.accept(disk('ccd01', 85), NOW_MS);
    expect(status('ccd01')).toBe('ok');
    thresholds.replaceWith(new Thresholds({ ...config, groups: { cameras: { disk: { warning: 50, error: 84 } } } }));
    table.rejudge();
    expect(status('ccd01')).toBe('error');
    expect(thresholds.compiles).toBe(2);
  });

  test('an inventory change of group re-judges the node at its new group levels', () => {
    const { table, status } = setup();
    table.accept(disk('ccd01', 85), NOW_MS);
    table.replaceInventory(inventory(['ccd01', 'default']));
    expect(status('ccd01')).toBe('warning');
    table.replaceInventory(inventory());
    expect(status('ccd01')).toBe('warning');
    table.replaceInventory(inventory(['ccd01', 'cameras']));
    expect(status('ccd01')).toBe('ok');
  });

  test('a node restored from a state file is judged at today levels', () => {
    const { table, status } = setup();
    table.restore({
      name: 'ccd01',
      lastTimestamp: NOW,
      lastReceivedAt: NOW_MS,
      clockSkewSeconds: 0,
      series: [{ key: 'disk', qualifier: undefined, value: 93, timestamp: NOW, receivedAt: NOW_MS }],
    });
    expect(status('ccd01')).toBe('warning');
  });

  test('nodes with the same levels share one compiled object; a reload compiles them again', () => {
    const thresholds = new Thresholds(config);
    const compiled = new CompiledThresholds(thresholds);
    const table = new NodeTable(
      limits,
      inventory(['ccd01', 'cameras'], ['ccd02', 'cameras'], ['ccd07', 'cameras']),
      compiled.judge,
    );
    for (const name of ['ccd01', 'ccd02', 'ccd07', 'web1', 'web2']) table.accept(disk(name, 85), NOW_MS);
    const levels = (name: string) => compiled.levels(table.get(name)!);
    expect(levels('ccd01')).toBe(levels('ccd02'));
    expect(levels('web1')).toBe(levels('web2'));
    expect(levels('ccd07')).not.toBe(levels('ccd01'));
    expect(levels('web1')).not.toBe(levels('ccd01'));
    expect([levels('web1'), levels('ccd01'), levels('ccd07')].map((l) => l.get('disk'))).toEqual([
      { warning: 80, error: 90 },
      { warning: 90, error: 95 },
      { warning: 60, error: 70 },
    ]);
    const before = levels('ccd01');
    thresholds.replaceWith(new Thresholds({ ...config, groups: { cameras: { disk: { warning: 50, error: 84 } } } }));
    table.rejudge();
    expect(levels('ccd01')).not.toBe(before);
    expect(levels('ccd01')).toBe(levels('ccd02'));
    expect(levels('ccd01').get('disk')).toEqual({ warning: 50, error: 84 });
    expect(table.get('ccd02')!.series.get('disk')!.status).toBe('error');
  });

  test('a table without thresholds judges every value ok', () => {
    const table = new NodeTable(limits);
    table.accept(disk('web1', 1e9), NOW_MS);
    expect(table.get('web1')!.series.get('disk')!.status).toBe('ok');
  });
});
