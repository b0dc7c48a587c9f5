import { describe, expect, test } from 'vitest';
import { NodeTable, type AcceptedReport } from '../../../bridge/state/node-table.ts';
import { MemoryHistory } from '../../../bridge/store/memory-history.ts';

const report = (node: string, timestamp: number, value: number, qualifier?: string): AcceptedReport => ({
  node,
  timestamp,
  receivedAt: timestamp * 1000,
  samples: [qualifier === undefined ? { key: 'disk', value } : { key: 'disk', qualifier, value }],
});

describe('MemoryHistory', () => {
  test('answers a range per node and series, oldest first', async () => {
    const history = new MemoryHistory();
    for (let i = 0; i < 10; i += 1) history.record(report('a', 1000 + i * 10, i));
    history.record(report('a', 1050, 99, '/data'));
    history.record(report('b', 1050, 77));
    const answer = await history.query({ node: 'a', key: 'disk', from: 1020, to: 1050 });
    expect(answer).toEqual({
      source: 'memory',
      points: [
        [1020, 2],
        [1030, 3],
        [1040, 4],
        [1050, 5],
      ],
    });
    expect((await history.query({ node: 'a', key: 'disk', qualifier: '/data', from: 0, to: 2000 })).points).toEqual([
      [1050, 99],
    ]);
    expect((await history.query({ node: 'c', key: 'disk', from: 0, to: 2000 })).points).toEqual([]);
  });

  test('values keep full precision, times are whole seconds', async () => {
    const history = new MemoryHistory();
    const values = [0.1, 1 / 3, 123_456_789.123_456_78, -1e-300, Number.MAX_VALUE, 2 ** 53 + 2];
    values.forEach((value, i) => history.record(report('a', 1_763_884_800.75 + i, value)));
    const { points } = await history.query({ node: 'a', key: 'disk', from: 0, to: 4e9 });
    expect(points).toEqual(values.map((value, i) => [1_763_884_800 + i, value]));
  });

  test('many series growing and dropping their oldest at once: each answers its own newest points', async () => {
    // A model per series (the newest pointsPerSeries points) against the chained chunks of the pool.
    const perSeries = 21;
    const history = new MemoryHistory(perSeries, 1_000_000);
    const model = new Map<string, [number, number][]>();
    let seed = 7;
    const random = (n: number) => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % n;
    for (let t = 1000; t < 1400; t += 1) {
      for (let r = random(6); r > 0; r -= 1) {
        const node = `n${random(5)}`;
        const qualifier = random(3) === 0 ? undefined : `/d${random(3)}`;
        const value = random(1000) / 7;
        history.record(report(node, t, value, qualifier));
        const id = `${node} ${qualifier}`;
        const points = model.get(id) ?? [];
        points.push([t, value]);
        model.set(id, points.slice(-perSeries));
      }
    }
    for (const [id, expected] of model) {
      const [node, qualifier] = id.split(' ') as [string, string];
      const q = { node, key: 'disk', from: 0, to: 1e10 };
      const answer = await history.query(qualifier === 'undefined' ? q : { ...q, qualifier });
      // One point per second: the model's last write of a second wins, as in the history.
      expect(answer.points).toEqual([...new Map(expected)]);
    }
  });

  test('keeps at most pointsPerSeries per series, the newest', async () => {
    const history = new MemoryHistory(100, 1_000_000);
    for (let i = 0; i < 1000; i += 1) history.record(report('a', 1000 + i, i));
    const { points } = await history.query({ node: 'a', key: 'disk', from: 0, to: 1e10 });
    expect(points).toHaveLength(100);
    expect(points[0]).toEqual([1900, 900]);
  });

  test('never holds more than maxPoints over all series', () => {
    const history = new MemoryHistory(1000, 2000);
    for (let n = 0; n < 50; n += 1) for (let i = 0; i < 500; i += 1) history.record(report(`n${n}`, 1000 + i, i));
    expect(history.points).toBeLessThanOrEqual(2000);
    expect(history.points).toBeGreaterThan(1000);
  });

  test('its bytes grow with the points to the bound that maxPoints sets, and no further', () => {
    const maxPoints = 20_000;
    const history = new MemoryHistory(1000, maxPoints);
    expect(history.bytes).toBe(0);
    history.record(report('n0', 1000, 1));
    expect(history.bytes).toBeGreaterThan(0);
    // 12 bytes a point, plus the chunks' links, rounded up to whole slabs.
    expect(history.maxBytes).toBeGreaterThanOrEqual(maxPoints * 12);
    expect(history.maxBytes).toBeLessThan(maxPoints * 12 + 2 * 102_400);
    const sizes: number[] = [];
    for (let n = 0; n < 200; n += 1) {
      for (let i = 0; i < 300; i += 1) history.record(report(`n${n}`, 1000 + i, i));
      sizes.push(history.bytes);
    }
    expect(Math.max(...sizes)).toBeLessThanOrEqual(history.maxBytes);
    // 60 000 points offered: the cap was reached, and from then on chunks are reused, not added.
    expect(sizes.at(-1)).toBe(sizes.at(-50));
  });

  test('a replayed (out of order) report lands in time order, and a re-sent second overwrites', async () => {
    const history = new MemoryHistory();
    history.record(report('a', 1020, 2));
    history.record(report('a', 1010, 1));
    history.record(report('a', 1020, 3));
    expect((await history.query({ node: 'a', key: 'disk', from: 0, to: 2000 })).points).toEqual([
      [1010, 1],
      [1020, 3],
    ]);
  });

  test('when all chunks are taken a series wraps early: its newest points, in order', async () => {
    const history = new MemoryHistory(1000, 32);
    for (let i = 0; i < 100; i += 1) history.record(report('a', 1000 + i, i));
    history.record(report('b', 1000, 1));
    const { points } = await history.query({ node: 'a', key: 'disk', from: 0, to: 1e10 });
    expect(history.points).toBeLessThanOrEqual(32);
    expect(points.length).toBeGreaterThanOrEqual(16);
    expect(points).toEqual(
      Array.from({ length: points.length }, (_, k) => [1100 - points.length + k, 100 - points.length + k]),
    );
    expect((await history.query({ node: 'b', key: 'disk', from: 0, to: 1e10 })).points).toEqual([]);
  });

  test("reports with the table's slots: found by slot, the same answers, a series removed as idle comes back", async () => {
    const table = new NodeTable({
      maxNodes: 10,
      maxSeriesPerNode: 10,
      backfillWindowSeconds: 1e10,
      futureToleranceSeconds: 1e10,
      enforceInventory: false,
    });
    const bySlot = new MemoryHistory();
    const other = new MemoryHistory();
    const accept = (timestamp: number, value: number) => {
      const outcome = table.accept(
        {
          node: 'a',
          timestamp,
          samples: [
            { key: 'disk', qualifier: '/data', value },
            { key: 'cpu', value },
          ],
        },
        timestamp * 1000,
      );
      if (!outcome.ok) throw new Error(outcome.reason);
      return outcome.report;
    };
    for (let i = 0; i < 40; i += 1) bySlot.record(accept(1000 + i, i));
    // Another history fed the same slots keeps its own points.
    other.record(accept(2000, 7));
    const query = { node: 'a', key: 'disk', qualifier: '/data', from: 0, to: 1e10 };
    expect((await bySlot.query(query)).points).toEqual(Array.from({ length: 40 }, (_, i) => [1000 + i, i]));
    expect((await other.query(query)).points).toEqual([[2000, 7]]);
    // A day later the series is swept; the next report through the same slot starts it again.
    bySlot.record(report('b', 1000 + 86_500, 1));
    expect((await bySlot.query(query)).points).toEqual([]);
    bySlot.record(accept(1000 + 86_500, 1));
    bySlot.record(accept(1000 + 86_501, 2));
    expect((await bySlot.query({ node: 'a', key: 'cpu', from: 0, to: 1e10 })).points).toEqual([
      [87_500, 1],
      [87_501, 2],
    ]);
  });
});
