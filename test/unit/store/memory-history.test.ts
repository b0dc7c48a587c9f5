import { describe, expect, test } from 'vitest';
import type { AcceptedReport } from '../../../bridge/state/node-table.ts';
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
});
