import { describe, expect, test } from 'vitest';
import { ReportQueue, type DropReason } from '../../../exporter/queue.ts';

const report = (timestamp: number) => ({ line: `n1 ${timestamp} cpu=1`, timestamp });

function drain(queue: ReportQueue): number[] {
  const out: number[] = [];
  for (let r = queue.peek(); r !== undefined; r = queue.peek()) {
    out.push(r.timestamp);
    queue.shift();
  }
  return out;
}

describe('ReportQueue', () => {
  test('replays reports oldest first with their own timestamps', () => {
    const queue = new ReportQueue({ maxReports: 10, maxAgeSeconds: 1000 }, () => 1005);
    for (const t of [1001, 1002, 1003]) queue.push(report(t));
    expect(queue.length).toBe(3);
    expect(queue.peek()?.line).toBe('n1 1001 cpu=1');
    expect(drain(queue)).toEqual([1001, 1002, 1003]);
    expect(queue.length).toBe(0);
  });

  test('drops the oldest past maxReports and counts each drop', () => {
    const drops: DropReason[] = [];
    const queue = new ReportQueue({ maxReports: 3, maxAgeSeconds: 1000 }, () => 1010, {
      dropped: (r) => drops.push(r),
    });
    for (let t = 1001; t <= 1005; t += 1) queue.push(report(t));
    expect(drain(queue)).toEqual([1003, 1004, 1005]);
    expect(queue.dropped).toEqual({ overflow: 2, expired: 0 });
    expect(drops).toEqual(['overflow', 'overflow']);
  });

  test('drops reports older than maxAge, on push and when the queue is read later', () => {
    const clock = { now: 1000 };
    const queue = new ReportQueue({ maxReports: 100, maxAgeSeconds: 60 }, () => clock.now);
    queue.push(report(930));
    expect(queue.length).toBe(0);
    queue.push(report(990));
    queue.push(report(1000));
    clock.now = 1045;
    expect(drain(queue)).toEqual([990, 1000]);
    queue.push(report(1060));
    queue.push(report(1070));
    clock.now = 1125;
    expect(drain(queue)).toEqual([1070]);
    expect(queue.dropped).toEqual({ overflow: 0, expired: 2 });
  });

  test('stays correct across internal compaction of a long backlog', () => {
    const queue = new ReportQueue({ maxReports: 2000, maxAgeSeconds: 1e9 }, () => 10_000);
    for (let t = 1; t <= 5000; t += 1) queue.push(report(t));
    expect(queue.length).toBe(2000);
    expect(queue.dropped.overflow).toBe(3000);
    const replayed = drain(queue);
    expect(replayed).toHaveLength(2000);
    expect(replayed[0]).toBe(3001);
    expect(replayed.every((t, i) => i === 0 || t === replayed[i - 1]! + 1)).toBe(true);
  });

  test('the byte bound counts reports in flight until acknowledged, and drops the oldest unsent past it', () => {
    const drops: number[] = [];
    const settled: number[] = [];
    // Each report is 'n1 100x cpu=1' + newline = 14 bytes: 5 fit in 70.
    const queue = new ReportQueue({ maxReports: 100, maxAgeSeconds: 1e9, maxBytes: 70 }, () => 2000, {
      dropped: (_r, report) => drops.push(report.timestamp),
      settled: (reports) => settled.push(...reports.map((r) => r.timestamp)),
    });
    for (let t = 1001; t <= 1005; t += 1) queue.push(report(t));
    expect(queue.bytes).toBe(70);
    const sent = [queue.shift()!, queue.shift()!];
    expect(queue.bytes).toBe(70); // written, not acknowledged: still held (for resending, and on disk)
    queue.push(report(1006));
    expect(drops).toEqual([1003]); // the oldest unsent; what is in flight cannot be taken back
    queue.acknowledge(sent);
    expect(settled).toEqual([1001, 1002]);
    expect(queue.bytes).toBe(42);
    const again = [queue.shift()!];
    queue.requeue(again);
    expect(queue.bytes).toBe(42);
    expect(drain(queue)).toEqual([1004, 1005, 1006]);
    expect(queue.oldestTimestamp).toBeUndefined();
  });

  test('shift on an empty queue returns undefined', () => {
    const queue = new ReportQueue({ maxReports: 1, maxAgeSeconds: 1 });
    expect(queue.shift()).toBeUndefined();
    expect(queue.peek()).toBeUndefined();
  });
});
