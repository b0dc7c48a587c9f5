import { describe, expect, test } from 'vitest';
import { MemorySpool } from '../../../bridge/store/memory-spool.ts';

const line = (t: number) => `obsmon_node,node=a cpu=1 ${t}`;

describe('MemorySpool', () => {
  test('hands out the oldest lines until acknowledged, in order', async () => {
    const spool = new MemorySpool(1 << 20);
    spool.append([line(1), line(2), line(3)]);
    const first = await spool.read(2);
    expect(first?.lines).toEqual([line(1), line(2)]);
    expect((await spool.read(2))?.lines).toEqual([line(1), line(2)]);
    spool.ack(first!);
    expect((await spool.read(2))?.lines).toEqual([line(3)]);
    expect(spool.stats()).toMatchObject({ points: 1, oldestTimestamp: 3 });
  });

  test('drops the oldest lines past the limit, counts them, and ignores an ack for dropped lines', async () => {
    const dropped: number[] = [];
    const size = line(1000).length + 1;
    const spool = new MemorySpool(size * 3, (n) => dropped.push(n));
    spool.append([line(1000), line(1001), line(1002)]);
    const stale = await spool.read(1);
    spool.append([line(1003), line(1004)]);
    expect(dropped).toEqual([2]);
    spool.ack(stale!);
    expect((await spool.read(10))?.lines).toEqual([line(1002), line(1003), line(1004)]);
    expect(spool.stats()).toEqual({ bytes: size * 3, points: 3, oldestTimestamp: 1002 });
  });

  test('reports the oldest timestamp even when lines arrive out of time order', async () => {
    const spool = new MemorySpool(1 << 20);
    spool.append([line(50), line(10), line(30)]);
    expect(spool.stats().oldestTimestamp).toBe(10);
    spool.ack((await spool.read(2))!);
    expect(spool.stats().oldestTimestamp).toBe(30);
  });

  test('drains 100 000 lines batch by batch to empty', async () => {
    const spool = new MemorySpool(1 << 30);
    spool.append(Array.from({ length: 100_000 }, (_, i) => line(i)));
    for (let batch = await spool.read(100); batch !== undefined; batch = await spool.read(100)) spool.ack(batch);
    expect(spool.stats()).toEqual({ bytes: 0, points: 0, oldestTimestamp: undefined });
  });
});
