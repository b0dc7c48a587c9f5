import { afterEach, describe, expect, test, vi } from 'vitest';
import type { NodeJudge } from '../../../bridge/state/node-judge.ts';
import { NodeTable, type NodeTableLimits } from '../../../bridge/state/node-table.ts';
import { StatusTracker } from '../../../bridge/state/status-tracker.ts';
import type { Status } from '../../../protocol/status.ts';

const T0 = 1_763_884_800_000;
const DOWN_AFTER_MS = 60_000;
const limits: NodeTableLimits = {
  maxNodes: 10,
  maxSeriesPerNode: 10,
  backfillWindowSeconds: 3600,
  futureToleranceSeconds: 60,
  enforceInventory: false,
};

/**
 * A judge with levels of its own (warning at 10, error at 20 for every key), unlike any thresholds
 * file: what the tracker reports can only come from the status carried in the table.
 */
let judged = 0;
let warningLevel = 10;
const judge: NodeJudge = () => (_key, value) => {
  judged += 1;
  return value >= 20 ? 'error' : value >= warningLevel ? 'warning' : 'ok';
};

function setup() {
  const table = new NodeTable(limits, new Map(), judge);
  const tracker = new StatusTracker(table, DOWN_AFTER_MS);
  const send = (at: number, values: Record<string, number>, flagged?: Map<string, Status>, timestamp = at / 1000) => {
    const samples = Object.entries(values).map(([id, value]) => {
      const [key, qualifier] = id.split('@') as [string, string | undefined];
      return qualifier === undefined ? { key, value } : { key, qualifier, value };
    });
    const outcome = table.accept({ node: 'n1', timestamp, samples }, at);
    if (!outcome.ok) throw new Error(outcome.reason);
    return tracker
      .onReport(outcome.report, flagged)
      .map((c) => (c.kind === 'metric' ? `${c.metric}:${c.from}>${c.to}` : `${c.from}>${c.to}`));
  };
  return { table, tracker, send };
}

describe('StatusTracker', () => {
  afterEach(() => {
    warningLevel = 10;
  });

  test('reports crossings of the status carried from ingest, once each, and judges nothing itself', () => {
    const { send } = setup();
    expect(send(T0, { disk: 5, 'temp@ccd': 1 })).toEqual([]);
    const before = judged;
    expect(send(T0 + 1000, { disk: 12, 'temp@ccd': 1 })).toEqual(['disk:ok>warning']);
    expect(send(T0 + 2000, { disk: 13, 'temp@ccd': 25 })).toEqual(['temp@ccd:ok>error']);
    expect(send(T0 + 3000, { disk: 25, 'temp@ccd': 25 })).toEqual(['disk:warning>error']);
    expect(send(T0 + 4000, { disk: 1, 'temp@ccd': 1 })).toEqual(['disk:error>ok', 'temp@ccd:error>ok']);
    // Two values per report, judged once each, at ingest: the tracker added no judgment.
    expect(judged - before).toBe(8);
  });

  test('only values that became the live value count; the flagged map gets each live value not ok', () => {
    const { send } = setup();
    expect(send(T0, { disk: 5 })).toEqual([]);
    // An older replayed report: the live value stays 5 (ok), no change.
    expect(send(T0 + 1000, { disk: 50 }, undefined, T0 / 1000 - 30)).toEqual([]);
    const flagged = new Map<string, Status>();
    expect(send(T0 + 2000, { disk: 15, cpu: 1, 'disk@/data': 30 }, flagged)).toEqual([
      'disk:ok>warning',
      'disk@/data:ok>error',
    ]);
    expect([...flagged]).toEqual([
      ['disk', 'warning'],
      ['disk@/data', 'error'],
    ]);
  });

  test('a value re-judged by a reload is announced on its next report, at the same value', () => {
    const { table, send } = setup();
    send(T0, { disk: 12 });
    warningLevel = 15;
    table.rejudge();
    expect(send(T0 + 1000, { disk: 12 })).toEqual(['disk:warning>ok']);
  });

  test('a node going down forgets its statuses: coming back re-announces them from ok', () => {
    const { tracker, send } = setup();
    send(T0, { disk: 12 });
    expect(tracker.sweep(T0 + DOWN_AFTER_MS + 1).map((c) => `${c.node}:${c.to}`)).toEqual(['n1:down']);
    expect(send(T0 + DOWN_AFTER_MS + 2000, { disk: 12 })).toEqual(['down>up', 'disk:ok>warning']);
  });
  test('a value back at ok and out again is announced each time; a report without table slots is looked up', () => {
    const { table, tracker, send } = setup();
    expect(send(T0, { disk: 12, cpu: 1 })).toEqual(['disk:ok>warning']);
    expect(send(T0 + 1000, { disk: 1, cpu: 1 })).toEqual(['disk:warning>ok']);
    expect(send(T0 + 2000, { disk: 1, cpu: 1 })).toEqual([]);
    expect(send(T0 + 3000, { disk: 25, cpu: 12 })).toEqual(['disk:ok>error', 'cpu:ok>warning']);
    expect(send(T0 + 4000, { disk: 1, cpu: 12 })).toEqual(['disk:error>ok']);
    // The same report as NodeTable.accept hands it, minus its slots (a sink fed by hand).
    const outcome = table.accept(
      { node: 'n1', timestamp: T0 / 1000 + 5, samples: [{ key: 'cpu', value: 1 }] },
      T0 + 5000,
    );
    if (!outcome.ok) throw new Error(outcome.reason);
    const { series: _slots, ...withoutSlots } = outcome.report;
    expect(tracker.onReport(withoutSlots).map((c) => (c.kind === 'metric' ? `${c.metric}:${c.to}` : c.to))).toEqual([
      'cpu:ok',
    ]);
  });
  test('a node the table forgot is forgotten by the tracker: reporting again, it is a new node', () => {
    const { table, tracker, send } = setup();
    send(T0, { disk: 12 });
    expect(tracker.sweep(T0 + DOWN_AFTER_MS + 1).map((c) => `${c.node}:${c.to}`)).toEqual(['n1:down']);
    expect(table.forget(T0 + 2 * DOWN_AFTER_MS, DOWN_AFTER_MS)).toBe(1);
    expect(tracker.sweep(T0 + 2 * DOWN_AFTER_MS)).toEqual([]);
    // Not "down>up": the node is new to the table, and so to the tracker.
    expect(send(T0 + 2 * DOWN_AFTER_MS + 1000, { disk: 12 })).toEqual(['disk:ok>warning']);
  });

  test('a sweep reads the table only once the earliest node can be down or the table changed, and misses no down', () => {
    const table = new NodeTable(limits, new Map(), judge);
    const tracker = new StatusTracker(table, DOWN_AFTER_MS);
    const report = (node: string, at: number) => {
      const outcome = table.accept({ node, timestamp: at / 1000, samples: [{ key: 'cpu', value: 1 }] }, at);
      if (!outcome.ok) throw new Error(outcome.reason);
      return tracker.onReport(outcome.report).map((c) => `${c.node}:${c.to}`);
    };
    const reads = vi.spyOn(table, 'nodes');
    const sweep = (at: number) => tracker.sweep(at).map((c) => `${c.node}:${c.to}`);
    report('a', T0);
    report('b', T0 + 5000);
    // New nodes: the first sweep reads the table, and learns the earliest time one can be down (a's).
    expect(sweep(T0 + 1000)).toEqual([]);
    expect(reads).toHaveBeenCalledTimes(1);
    report('a', T0 + 10_000);
    expect(sweep(T0 + DOWN_AFTER_MS)).toEqual([]);
    expect(reads).toHaveBeenCalledTimes(1);
    // a's time came, but a reported since: nothing is down, and b is next.
    expect(sweep(T0 + DOWN_AFTER_MS + 1)).toEqual([]);
    expect(reads).toHaveBeenCalledTimes(2);
    expect(sweep(T0 + 5000 + DOWN_AFTER_MS)).toEqual([]);
    expect(reads).toHaveBeenCalledTimes(2);
    expect(sweep(T0 + 5000 + DOWN_AFTER_MS + 1)).toEqual(['b:down']);
    expect(sweep(T0 + 10_000 + DOWN_AFTER_MS + 1)).toEqual(['a:down']);
    // Every node down: none has a time to wait for, until one comes back.
    expect(report('b', T0 + 200_000)).toEqual(['b:up']);
    const before = reads.mock.calls.length;
    expect(sweep(T0 + 200_000 + DOWN_AFTER_MS)).toEqual([]);
    expect(reads).toHaveBeenCalledTimes(before);
    expect(sweep(T0 + 200_000 + DOWN_AFTER_MS + 1)).toEqual(['b:down']);
  });

  test('a node the table gains without a report (restored from a state file) is watched from the next sweep', () => {
    const table = new NodeTable(limits, new Map(), judge);
    const tracker = new StatusTracker(table, DOWN_AFTER_MS);
    const outcome = table.accept({ node: 'a', timestamp: T0 / 1000, samples: [{ key: 'cpu', value: 1 }] }, T0);
    if (!outcome.ok) throw new Error(outcome.reason);
    tracker.onReport(outcome.report);
    expect(tracker.sweep(T0 + 1000)).toEqual([]);
    const saved = {
      name: 'c',
      lastTimestamp: T0 / 1000 - 10,
      lastReceivedAt: T0 - 10_000,
      clockSkewSeconds: 0,
      series: [],
    };
    expect(table.restore(saved)).toEqual({ ok: true, droppedSeries: 0 });
    expect(tracker.sweep(T0 + 2000)).toEqual([]);
    expect(tracker.sweep(T0 - 10_000 + DOWN_AFTER_MS + 1).map((c) => `${c.node}:${c.to}`)).toEqual(['c:down']);
  });
});
