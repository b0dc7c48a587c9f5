import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { DiskQueue, segmentName } from '../../../exporter/disk-queue.ts';
import { ReportQueue, type QueuedReport } from '../../../exporter/queue.ts';
import { createLogger } from '../../../lib/logger.ts';

const dirs: string[] = [];
const open: DiskQueue[] = [];
afterEach(async () => {
  for (const q of open.splice(0)) await q.close().catch(() => {});
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'obsmon-queue-'));
  dirs.push(dir);
  return dir;
}

function openQueue(dir: string, maxBytes = 1 << 20) {
  const warnings: string[] = [];
  const counts = { writeFailures: 0, corrupt: 0 };
  const log = createLogger('t', 'info', (line) => warnings.push(line));
  const q = new DiskQueue({
    dir,
    maxBytes,
    log,
    onWriteFailure: () => (counts.writeFailures += 1),
    onCorrupt: (n) => (counts.corrupt += n),
  });
  open.push(q);
  return { q, warnings, counts };
}

async function closeQueue(q: DiskQueue): Promise<void> {
  open.splice(open.indexOf(q), 1);
  await q.close();
}

/** What a SIGKILL leaves: the files as they are now, in another directory, opened afresh. */
function crashImage(dir: string): string {
  const copy = tempDir();
  cpSync(dir, copy, { recursive: true });
  return copy;
}

let t = 1_796_151_600;
const report = (pad = ''): QueuedReport => {
  t += 1;
  return { line: `n1 ${t} cpu=1${pad}`, timestamp: t };
};
const stamps = (reports: readonly QueuedReport[]) => reports.map((r) => r.timestamp);

describe('DiskQueue (--queue-dir)', () => {
  test('reports written before a crash come back oldest first with their lines and timestamps', async () => {
    const dir = tempDir();
    const { q } = openQueue(dir);
    const written = [report(), report(), report(), report(), report()];
    for (const r of written) expect(await q.append(r)).toBe(true);
    const { q: again, warnings } = openQueue(crashImage(dir));
    expect(again.takeBacklog()).toEqual(written);
    expect(again.takeBacklog()).toEqual([]);
    expect(warnings.join('\n')).toMatch(/holds 5 reports .* from before the restart/);
  });

  test('appends arriving during a write share the next one, in order', async () => {
    const dir = tempDir();
    const { q } = openQueue(dir);
    const written = Array.from({ length: 50 }, () => report());
    expect(await Promise.all(written.map((r) => q.append(r)))).toEqual(written.map(() => true));
    expect(openQueue(crashImage(dir)).q.takeBacklog()).toEqual(written);
  });

  test('acknowledged reports are removed: only the rest comes back, and drained files are deleted', async () => {
    const dir = tempDir();
    const { q } = openQueue(dir, 4096); // 4 KiB segments: 200 reports span several files
    const written = Array.from({ length: 300 }, () => report(' mem=12.5 disk=40.1 procs=123'));
    for (const r of written) await q.append(r);
    expect(readdirSync(dir).filter((n) => n.startsWith('reports-')).length).toBeGreaterThan(2);
    q.remove(written.slice(0, 230));
    const extra = report();
    await q.append(extra); // also lets the file operations queued by remove() run
    expect(readdirSync(dir).filter((n) => n.startsWith('reports-')).length).toBeLessThanOrEqual(2);
    const backlog = openQueue(crashImage(dir)).q.takeBacklog();
    expect(backlog).toEqual([...written.slice(230), extra]);
    q.remove([...written, extra]);
    await closeQueue(q);
    expect(readdirSync(dir).filter((n) => n.startsWith('reports-'))).toEqual([]);
    expect(openQueue(dir).q.takeBacklog()).toEqual([]);
  });

  test('a torn last line (crash mid-write) is skipped and logged; later reports go to a new file', async () => {
    const dir = tempDir();
    const { q } = openQueue(dir);
    const written = [report(), report(), report()];
    for (const r of written) await q.append(r);
    await closeQueue(q);
    const [file] = readdirSync(dir).filter((n) => n.startsWith('reports-'));
    writeFileSync(join(dir, file!), 'n1 1796159999 cp', { flag: 'a' });
    const first = openQueue(dir);
    expect(first.q.takeBacklog()).toEqual(written);
    expect(first.warnings.join('\n')).toMatch(/Skipped 16 bytes of an unfinished write/);
    const later = report();
    await first.q.append(later);
    await closeQueue(first.q);
    expect(openQueue(dir).q.takeBacklog()).toEqual([...written, later]);
  });

  test('a damaged line is dropped and counted, the lines around it kept', async () => {
    const dir = tempDir();
    const a = report();
    const b = report();
    writeFileSync(join(dir, segmentName(7)), `${a.line}\n\0\0\0\0\0\0\n${b.line}\n`);
    const { q, counts, warnings } = openQueue(dir);
    expect(q.takeBacklog()).toEqual([a, b]);
    expect(counts.corrupt).toBe(1);
    expect(warnings.join('\n')).toMatch(/Dropped 1 unreadable lines/);
  });

  test('survives odd directory entries and never reuses their numbers', async () => {
    const dir = tempDir();
    const a = report();
    writeFileSync(join(dir, segmentName(3)), `${a.line}\n`);
    mkdirSync(join(dir, segmentName(9))); // a directory named like a segment (EISDIR when read)
    writeFileSync(join(dir, 'notes.txt'), 'hello');
    writeFileSync(join(dir, 'reports-12.log'), 'not ours\n');
    symlinkSync('/etc/passwd', join(dir, segmentName(4)));
    mkdirSync(join(dir, 'cursor'));
    const { q, warnings } = openQueue(dir);
    expect(q.takeBacklog()).toEqual([a]);
    expect(warnings.join('\n')).toMatch(/Ignoring 5 unexpected entries/);
    const b = report();
    expect(await q.append(b)).toBe(true);
    await closeQueue(q);
    expect(readdirSync(dir)).toContain(segmentName(10));
    expect(openQueue(dir).q.takeBacklog()).toEqual([a, b]);
  });

  test('a garbled cursor re-sends the oldest file from its start instead of failing', async () => {
    const dir = tempDir();
    const { q } = openQueue(dir);
    const written = [report(), report(), report()];
    for (const r of written) await q.append(r);
    q.remove(written.slice(0, 1));
    await closeQueue(q);
    expect(readFileSync(join(dir, 'cursor'), 'latin1')).toMatch(/^\d+ 1\n$/);
    writeFileSync(join(dir, 'cursor'), 'garbage');
    const { q: again, warnings } = openQueue(dir);
    expect(again.takeBacklog()).toEqual(written);
    expect(warnings.join('\n')).toMatch(/unreadable cursor/);
  });

  test('a failed write is counted and logged, the report kept and written with the next one', async () => {
    const dir = tempDir();
    const { q, counts, warnings } = openQueue(dir);
    const a = report();
    // The next segment's name is taken by a directory: open() fails with EISDIR.
    const next = Math.max(0, ...readdirSync(dir).map((n) => Number(/\d+/.exec(n)?.[0] ?? 0))) + 1;
    mkdirSync(join(dir, segmentName(next)));
    expect(await q.append(a)).toBe(false);
    expect(counts.writeFailures).toBe(1);
    expect(warnings.join('\n')).toMatch(/Cannot write the queue .*EISDIR.*1 reports are in memory only/);
    const b = report();
    expect(await q.append(b)).toBe(true);
    await closeQueue(q);
    expect(openQueue(dir).q.takeBacklog()).toEqual([a, b]);
  });

  test('a second exporter on the same directory is refused; a lock of a dead process or an earlier boot is taken over', () => {
    const dir = tempDir();
    openQueue(dir);
    expect(() => openQueue(dir)).toThrow(/Queue directory .* \(--queue-dir\) is in use by this process/);
    const other = tempDir();
    const bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim();
    // The parent process is alive: its lock from this boot holds.
    writeFileSync(join(other, 'lock'), `${process.ppid} ${bootId}\n`);
    expect(() => openQueue(other)).toThrow(new RegExp(`in use by process ${process.ppid}`));
    // After a reboot the same PID may be any process: the lock is stale.
    writeFileSync(join(other, 'lock'), `${process.ppid} 00000000-0000-0000-0000-000000000000\n`);
    expect(() => openQueue(other)).not.toThrow();
    expect(readFileSync(join(other, 'lock'), 'latin1')).toBe(`${process.pid} ${bootId}\n`);
  });

  test('a path that cannot be a directory stops start-up with a clear error', () => {
    const file = join(tempDir(), 'plain-file');
    writeFileSync(file, '');
    expect(() => openQueue(file)).toThrow(/Queue directory ".*plain-file" \(--queue-dir\) cannot be used: EEXIST/);
  });

  test('with the ReportQueue: the byte bound drops the oldest, and a restart replays exactly what was kept', async () => {
    const dir = tempDir();
    const maxBytes = 8192;
    const { q } = openQueue(dir, maxBytes);
    const dropped: QueuedReport[] = [];
    const memory = new ReportQueue({ maxReports: 1e6, maxAgeSeconds: 1e9, maxBytes }, () => t, {
      dropped: (_reason, r) => {
        dropped.push(r);
        q.remove([r]);
      },
      settled: (rs) => q.remove(rs),
    });
    const all: QueuedReport[] = [];
    for (let i = 0; i < 400; i += 1) {
      const r = report(' mem=12.5 disk=40.1 procs=123');
      all.push(r);
      await q.append(r);
      memory.push(r);
    }
    expect(memory.bytes).toBeLessThanOrEqual(maxBytes);
    expect(dropped).toEqual(all.slice(0, dropped.length));
    expect(dropped.length).toBeGreaterThan(200);
    // The files hold the kept reports plus at most one segment (1/16 of the bound, ≥ 4 KiB) of dropped ones.
    expect(q.diskBytes).toBeLessThanOrEqual(maxBytes + 4096);
    // Some were sent and acknowledged, some sent and still unacknowledged when the agent died.
    const sent = [memory.shift()!, memory.shift()!, memory.shift()!];
    memory.acknowledge(sent.slice(0, 2));
    const barrier = report();
    await q.append(barrier); // the file operations queued by remove() have run
    const backlog = openQueue(crashImage(dir)).q.takeBacklog();
    expect(stamps(backlog)).toEqual(stamps([...all.slice(dropped.length + 2), barrier]));
  });
});
