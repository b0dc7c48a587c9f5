import {
  appendFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { open as openFile, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { silentLogger } from '../../../lib/logger.ts';
import { DiskSpool, type DiskSpoolOptions, type SpoolRepair } from '../../../bridge/store/disk-spool.ts';
import { LineBatch } from '../../../bridge/store/line-batch.ts';

const line = (t: number) => `obsmon_node,node=a cpu=1 ${t}`;
const dirs: string[] = [];
const spools: DiskSpool[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'obsmon-spool-'));
  dirs.push(dir);
  return dir;
}

function open(
  dir: string,
  maxBytes = 1 << 20,
  onDrop?: (n: number) => void,
  more: Partial<DiskSpoolOptions> = {},
): DiskSpool {
  const spool = new DiskSpool({
    dir,
    maxBytes,
    log: silentLogger,
    ...(onDrop === undefined ? {} : { onDrop }),
    ...more,
  });
  spools.push(spool);
  return spool;
}

/**
 * The spool's file seam with a disk that fills up: while `full`, a write takes at most `room` bytes
 * (as write(2) on a full filesystem does) and the next one fails with ENOSPC.
 */
function fillingDisk() {
  const disk = { full: false, room: 10, failures: 0 };
  const openOnDisk = async (path: string, flags: 'w' | 'r+'): Promise<FileHandle> => {
    const real = await openFile(path, flags);
    let tookPart = false;
    const write = (async (buffer: Buffer, offset: number, length: number, position: number) => {
      if (disk.full) {
        if (tookPart) {
          disk.failures += 1;
          tookPart = false;
          throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        }
        tookPart = true;
        return real.write(buffer, offset, Math.min(length, disk.room), position);
      }
      return real.write(buffer, offset, length, position);
    }) as FileHandle['write'];
    return Object.assign(Object.create(real) as FileHandle, {
      write,
      sync: () => real.sync(),
      truncate: (n?: number) => real.truncate(n),
      close: () => real.close(),
    });
  };
  return { disk, openOnDisk };
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

  test("a second bridge cannot open a spool directory in use; a dead owner's lock, or one from an earlier boot, is taken over", () => {
    const dir = tempDir();
    open(dir);
    expect(() => new DiskSpool({ dir, maxBytes: 1 << 20, log: silentLogger })).toThrow(/in use by this process/);
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim();
    const alive = tempDir();
    writeFileSync(join(alive, 'spool.lock'), `${process.ppid} ${boot}\n`);
    expect(() => open(alive)).toThrow(`Spool directory "${alive}" (--spool-dir) is in use by process ${process.ppid}`);
    const other = tempDir();
    writeFileSync(join(other, 'spool.lock'), '999999999\n');
    open(other);
    expect(readFileSync(join(other, 'spool.lock'), 'latin1')).toBe(`${process.pid} ${boot}\n`);
    // The PID of a live process, but written before the last reboot: whatever runs under it now is no bridge.
    const rebooted = tempDir();
    writeFileSync(join(rebooted, 'spool.lock'), `${process.ppid} an-earlier-boot\n`);
    open(rebooted);
    expect(readFileSync(join(rebooted, 'spool.lock'), 'latin1')).toBe(`${process.pid} ${boot}\n`);
  });

  test('a cursor naming a segment that no longer exists is ignored', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'cursor'), '7 2\n');
    writeFileSync(join(dir, 'segment-000000000009.lp'), `${line(1)}\n${line(2)}\n`);
    const spool = open(dir);
    expect(await drainAll(spool)).toEqual([line(1), line(2)]);
    expect(existsSync(join(dir, 'cursor'))).toBe(false);
  });

  test('a full disk: sync rejects, the lines stay in memory, the file holds whole lines only; once there is room they are written once', async () => {
    const dir = tempDir();
    const { disk, openOnDisk } = fillingDisk();
    const errors: string[] = [];
    const spool = open(dir, 1 << 20, undefined, {
      openFile: openOnDisk,
      onError: (op, e) => errors.push(`${op}: ${(e as NodeJS.ErrnoException).code}`),
    });
    spool.append([line(1), line(2)]);
    await spool.sync();
    disk.full = true;
    spool.append([line(3), line(4)]);
    await expect(spool.sync()).rejects.toThrow('ENOSPC');
    await expect(spool.sync()).rejects.toThrow('ENOSPC');
    expect(errors).toEqual(['write: ENOSPC', 'write: ENOSPC']);
    expect(disk.failures).toBe(2);
    const segment = readdirSync(dir).find((f) => f.startsWith('segment-'))!;
    // Partial writes were cut back: no half line for a restart (or the next write) to glue onto.
    expect(readFileSync(join(dir, segment), 'latin1')).toBe(`${line(1)}\n${line(2)}\n`);
    expect(spool.stats().points).toBe(4);
    disk.full = false;
    spool.append([line(5)]);
    await spool.sync();
    expect(readFileSync(join(dir, segment), 'latin1')).toBe([1, 2, 3, 4, 5].map(line).join('\n') + '\n');
    expect(await drainAll(spool)).toEqual([1, 2, 3, 4, 5].map(line));
  });

  test('handed-over batches on a filling disk: a write cut short is cut back and written again whole, in order, once', async () => {
    const dir = tempDir();
    const { disk, openOnDisk } = fillingDisk();
    const spool = open(dir, 1 << 24, undefined, { openFile: openOnDisk });
    // Batches of 1000 lines (about 34 KiB): each one a piece of the segment, written from its own buffer.
    const batch = (from: number) => LineBatch.of(Array.from({ length: 1000 }, (_, i) => line(from + i)));
    spool.append(batch(0), true);
    spool.append([line(1000)]);
    spool.append(batch(1001), true);
    disk.full = true;
    await expect(spool.sync()).rejects.toThrow('ENOSPC');
    const segment = readdirSync(dir).find((f) => f.startsWith('segment-'))!;
    expect(readFileSync(join(dir, segment), 'latin1')).toBe('');
    disk.full = false;
    spool.append(batch(2001), true);
    await spool.sync();
    const all = Array.from({ length: 3001 }, (_, i) => line(i));
    expect(readFileSync(join(dir, segment), 'latin1')).toBe(all.join('\n') + '\n');
    expect(await drainAll(spool)).toEqual(all);
  });

  test('a disk that stays full does not keep the spool from draining to a database that is back; one bad segment does not block the others', async () => {
    const dir = tempDir();
    const { disk, openOnDisk } = fillingDisk();
    const spool = open(dir, 1 << 20, undefined, { openFile: openOnDisk });
    spool.append([line(1)]);
    await spool.sync();
    disk.full = true;
    spool.append([line(2), line(3)]);
    await expect(spool.sync()).rejects.toThrow('ENOSPC');
    // The oldest segment: what is on disk, then what only memory holds.
    expect(await drainAll(spool)).toEqual([line(1), line(2), line(3)]);
    // Drained, so nothing is left unwritten: the barrier may acknowledge again although the disk is full.
    await expect(spool.sync()).resolves.toBeUndefined();

    // A segment that can never be written (a directory took its name) does not hold back the next one.
    const other = tempDir();
    const broken = open(other, 8 * 4096);
    mkdirSync(join(other, 'segment-000000000001.lp'));
    broken.append(Array.from({ length: 200 }, (_, i) => line(i)));
    await expect(broken.sync()).rejects.toThrow(/EISDIR/);
    expect(readFileSync(join(other, 'segment-000000000002.lp'), 'latin1').split('\n').length).toBeGreaterThan(1);
  });

  test('while the disk fails, lines waiting in memory are bounded: past the bound new lines are refused and counted', async () => {
    const dir = tempDir();
    const { disk, openOnDisk } = fillingDisk();
    const drops: Array<[number, string | undefined]> = [];
    const maxBytes = 64 * 1024;
    const spool = new DiskSpool({
      dir,
      maxBytes,
      log: silentLogger,
      openFile: openOnDisk,
      onDrop: (n, reason) => drops.push([n, reason]),
    });
    spools.push(spool);
    disk.full = true;
    disk.room = 1;
    spool.append([line(0)]);
    await expect(spool.sync()).rejects.toThrow('ENOSPC');
    // 64 KiB limit: about 1800 lines of 36 bytes; 4000 offered.
    for (let i = 1; i < 4000; i += 100)
      spool.append(Array.from({ length: 100 }, (_, j) => line(i + j)).slice(0, Math.min(100, 4000 - i)));
    const refused = drops.filter(([, r]) => r === 'spool_error').reduce((a, [n]) => a + n, 0);
    expect(refused).toBeGreaterThan(0);
    expect(drops.filter(([, r]) => r !== 'spool_error')).toEqual([]);
    expect(spool.stats().points + refused).toBe(4000);
    expect(spool.stats().bytes).toBeLessThanOrEqual(maxBytes);
    disk.full = false;
    await spool.sync();
    // Once a write succeeds, appends are taken again (the spool is at its limit now: the oldest go, as ever).
    const before = drops.length;
    spool.append([line(9999)]);
    expect(drops.slice(before).filter(([, r]) => r === 'spool_error')).toEqual([]);
    expect((await drainAll(spool)).at(-1)).toBe(line(9999));
  });

  test('a cursor past the end of its segment is not trusted: the segment is replayed from its start, counted and logged', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'segment-000000000003.lp'), `${line(1)}\n${line(2)}\n${line(3)}\n`);
    writeFileSync(join(dir, 'cursor'), '3 1662\n');
    const repairs: SpoolRepair[] = [];
    const warnings: string[] = [];
    const log = { ...silentLogger, warn: (m: string) => warnings.push(m) };
    const spool = open(dir, 1 << 20, undefined, { onRepair: (kind) => repairs.push(kind), log });
    expect(existsSync(join(dir, 'cursor'))).toBe(false);
    expect(spool.stats().points).toBe(3);
    expect(await drainAll(spool)).toEqual([line(1), line(2), line(3)]);
    expect(repairs).toEqual(['invalid_cursor']);
    expect(warnings.join('\n')).toMatch(
      /cursor points past the end of segment segment-000000000003\.lp \(line 1662 of 3\); replaying/,
    );
  });

  test('a cursor file with garbage in it is counted and ignored; a valid one still skips what was drained', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'segment-000000000001.lp'), `${line(1)}\n${line(2)}\n`);
    writeFileSync(join(dir, 'cursor'), 'x\x00 y');
    const repairs: SpoolRepair[] = [];
    let spool = open(dir, 1 << 20, undefined, { onRepair: (kind) => repairs.push(kind) });
    expect(repairs).toEqual(['invalid_cursor']);
    const batch = (await spool.read(1))!;
    spool.ack(batch);
    await spool.close();
    spools.splice(spools.indexOf(spool), 1);
    spool = open(dir, 1 << 20, undefined, { onRepair: (kind) => repairs.push(kind) });
    expect(await drainAll(spool)).toEqual([line(2)]);
    expect(repairs).toEqual(['invalid_cursor']);
  });

  test('a directory (or anything not a regular file) named like a segment is skipped and logged, not an EISDIR at start-up', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'segment-000000000001.lp'));
    writeFileSync(join(dir, 'segment-000000000002.lp'), `${line(2)}\n`);
    mkdirSync(join(dir, 'segment-000000000007.lp'));
    const repairs: SpoolRepair[] = [];
    const warnings: string[] = [];
    const spool = open(dir, 1 << 20, undefined, {
      onRepair: (kind) => repairs.push(kind),
      log: { ...silentLogger, warn: (m: string) => warnings.push(m) },
    });
    expect(repairs).toEqual(['odd_entry', 'odd_entry']);
    expect(warnings[0]).toMatch(
      /Skipped ".*segment-000000000001\.lp": named like a spool segment but not a regular file/,
    );
    // New segments never take the number of an odd entry.
    spool.append([line(3)]);
    await spool.sync();
    expect(
      readdirSync(dir)
        .filter((f) => f.startsWith('segment-'))
        .sort(),
    ).toEqual([
      'segment-000000000001.lp',
      'segment-000000000002.lp',
      'segment-000000000007.lp',
      'segment-000000000008.lp',
    ]);
    expect(await drainAll(spool)).toEqual([line(2), line(3)]);
  });
});
