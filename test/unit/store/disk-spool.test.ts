import { appendFileSync, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { silentLogger } from '../../../lib/logger.ts';
import { DiskSpool } from '../../../bridge/store/disk-spool.ts';

const line = (t: number) => `obsmon_node,node=a cpu=1 ${t}`;
const dirs: string[] = [];
const spools: DiskSpool[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'obsmon-spool-'));
  dirs.push(dir);
  return dir;
}

function open(dir: string, maxBytes = 1 << 20, onDrop?: (n: number) => void): DiskSpool {
  const spool = new DiskSpool({ dir, maxBytes, log: silentLogger, ...(onDrop === undefined ? {} : { onDrop }) });
  spools.push(spool);
  return spool;
}

async function drainAll(spool: DiskSpool, batchSize = 1000): Promise<string[]> {
  const out: string[] = [];
  for (let batch = await spool.read(batchSize); batch !== undefined; batch = await spool.read(batchSize)) {
    out.push(...batch.lines);
    spool.ack(batch);
  }
  return out;
}

afterEach(async () => {
  for (const spool of spools.splice(0)) await spool.close().catch(() => {});
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('DiskSpool', () => {
  test('keeps order across segments and removes drained segment files', async () => {
    const dir = tempDir();
    const spool = open(dir, 1 << 20);
    const lines = Array.from({ length: 20_000 }, (_, i) => line(1_700_000_000 + i));
    for (let i = 0; i < lines.length; i += 500) spool.append(lines.slice(i, i + 500));
    await spool.sync();
    expect(readdirSync(dir).filter((f) => f.startsWith('segment-')).length).toBeGreaterThan(1);
    expect(spool.stats()).toMatchObject({ points: 20_000, oldestTimestamp: 1_700_000_000 });
    expect(await drainAll(spool, 777)).toEqual(lines);
    await spool.sync();
    expect(readdirSync(dir).filter((f) => f.startsWith('segment-'))).toEqual([]);
    expect(spool.stats()).toEqual({ bytes: 0, points: 0, oldestTimestamp: undefined });
  });

  test('survives a restart: synced lines come back, acknowledged ones do not', async () => {
    const dir = tempDir();
    const first = open(dir);
    first.append([line(1), line(2), line(3), line(4)]);
    const batch = await first.read(2);
    first.ack(batch!);
    first.append([line(5)]);
    await first.close();
    const second = open(dir);
    expect(second.stats().points).toBe(3);
    expect(await drainAll(second)).toEqual([line(3), line(4), line(5)]);
  });

  test('lines appended but never synced are what a SIGKILL loses; a torn last line is cut off', async () => {
    const dir = tempDir();
    const spool = open(dir);
    spool.append([line(1), line(2)]);
    await spool.sync();
    spool.append([line(3)]);
    // The disk as a crash leaves it: a copy taken now, its owner gone, half a line at the end.
    const crashed = tempDir();
    cpSync(dir, crashed, { recursive: true });
    rmSync(join(crashed, 'spool.lock'));
    const segment = readdirSync(crashed).find((f) => f.startsWith('segment-'))!;
    appendFileSync(join(crashed, segment), 'obsmon_node,node=a cp');
    const recovered = open(crashed);
    expect(await drainAll(recovered)).toEqual([line(1), line(2)]);
  });

  test('past the limit the oldest segment is dropped and counted', async () => {
    const dir = tempDir();
    const dropped: number[] = [];
    const maxBytes = 64 * 1024;
    const spool = open(dir, maxBytes, (n) => dropped.push(n));
    const lines = Array.from({ length: 4000 }, (_, i) => line(1_700_000_000 + i));
    for (let i = 0; i < lines.length; i += 100) spool.append(lines.slice(i, i + 100));
    await spool.sync();
    const kept = await drainAll(spool);
    const lost = dropped.reduce((a, b) => a + b, 0);
    expect(lost + kept.length).toBe(lines.length);
    expect(kept).toEqual(lines.slice(lost));
    expect(kept.join('\n').length).toBeLessThanOrEqual(maxBytes);
    expect(kept.join('\n').length).toBeGreaterThan(maxBytes * 0.8);
  });

  test('a second bridge cannot open a spool directory in use; a dead owner\'s lock is taken over', () => {
    const dir = tempDir();
    open(dir);
    expect(() => new DiskSpool({ dir, maxBytes: 1 << 20, log: silentLogger })).toThrow(/in use by this process/);
    const other = tempDir();
    writeFileSync(join(other, 'spool.lock'), '999999999\n');
    open(other);
    expect(readFileSync(join(other, 'spool.lock'), 'latin1').trim()).toBe(String(process.pid));
  });

  test('a cursor naming a segment that no longer exists is ignored', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'cursor'), '7 2\n');
    writeFileSync(join(dir, 'segment-000000000009.lp'), `${line(1)}\n${line(2)}\n`);
    const spool = open(dir);
    expect(await drainAll(spool)).toEqual([line(1), line(2)]);
    expect(existsSync(join(dir, 'cursor'))).toBe(false);
  });
});
