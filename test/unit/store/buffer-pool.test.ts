import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { Registry } from 'prom-client';
import { BufferPool, bufferPool, registerBufferPoolMetrics } from '../../../bridge/store/buffer-pool.ts';
import { DiskSpool } from '../../../bridge/store/disk-spool.ts';
import type { WriteEndpoint } from '../../../bridge/store/endpoint.ts';
import { LineBatch } from '../../../bridge/store/line-batch.ts';
import { SpoolingWriter } from '../../../bridge/store/spooling-writer.ts';
import { WriteError } from '../../../bridge/store/write-error.ts';
import { silentLogger } from '../../../lib/logger.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const KiB = 1024;
const dirs: string[] = [];
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function spoolIn(maxBytes = 1 << 24): { spool: DiskSpool; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'obsmon-pool-'));
  dirs.push(dir);
  const spool = new DiskSpool({ dir, maxBytes, log: silentLogger });
  closers.push(() => spool.close());
  return { spool, dir };
}

/** Lines long enough that a batch's buffer is the pool's (past Node's shared slab). */
const lines = (from: number, n: number) =>
  Array.from({ length: n }, (_, i) => `m,node=${'n'.repeat(60)} v=${from + i} ${1_700_000_000 + from + i}`);

/** Whatever waits in the process-wide pool is overwritten: a buffer still in use there would show it. */
function scribbleOverPool(): void {
  const taken: Buffer[] = [];
  // A take gets a pooled buffer of up to twice its size: size classes from large to small take them all.
  for (let size = 1 << 28; size >= 1 && bufferPool.stats().idleBytes > 0; size >>= 1)
    for (let reused = bufferPool.stats().reused; ; reused += 1) {
      const buffer = bufferPool.take(size);
      if (bufferPool.stats().reused === reused) break;
      taken.push(buffer);
    }
  for (const buffer of taken) {
    buffer.fill(0x58);
    bufferPool.give(buffer);
  }
}

describe('BufferPool', () => {
  test('keeps at most its bound of idle bytes; what would exceed it is refused and counted', () => {
    const pool = new BufferPool(64 * KiB);
    for (let i = 0; i < 3; i += 1) pool.give(Buffer.allocUnsafe(32 * KiB));
    expect(pool.stats()).toMatchObject({ idleBytes: 64 * KiB, refused: 1 });
  });

  test('a take gets the smallest pooled buffer that fits and is at most twice its size, else a new one', () => {
    const pool = new BufferPool();
    const small = Buffer.allocUnsafe(16 * KiB);
    const large = Buffer.allocUnsafe(64 * KiB);
    pool.give(large);
    pool.give(small);
    expect(pool.take(10 * KiB)).toBe(small);
    expect(pool.take(100 * KiB)).not.toBe(large);
    // A small take does not carry off a large buffer: the next large take would have to allocate.
    expect(pool.take(20 * KiB)).not.toBe(large);
    expect(pool.take(40 * KiB)).toBe(large);
    expect(pool.stats()).toMatchObject({ idleBytes: 0, reused: 2, allocated: 2 });
  });

  test('lets every idle buffer go once unused for the idle time (no timer: trim or the next take)', () => {
    let now = 0;
    const pool = new BufferPool(1 << 20, 60_000, () => now);
    pool.give(Buffer.allocUnsafe(32 * KiB));
    now = 59_999;
    pool.trim();
    expect(pool.stats().idleBytes).toBe(32 * KiB);
    now = 60_000;
    pool.trim();
    expect(pool.stats().idleBytes).toBe(0);
  });

  test('a subarray gives its whole buffer, once; a small one (maybe in the shared slab) is not kept', () => {
    const pool = new BufferPool();
    const whole = Buffer.allocUnsafe(32 * KiB);
    pool.give(whole.subarray(100, 200));
    pool.give(whole);
    pool.give(Buffer.from('tiny'));
    expect(pool.stats().idleBytes).toBe(32 * KiB);
    expect(pool.take(32 * KiB).buffer).toBe(whole.buffer);
  });
  test('its bound and use are on /metrics: idle bytes, and reused, allocated, refused as counters', async () => {
    const pool = new BufferPool(64 * KiB);
    const registry = new Registry();
    registerBufferPoolMetrics(registry, pool);
    registerBufferPoolMetrics(registry, pool); // a second output of the same process registers nothing more
    for (let i = 0; i < 3; i += 1) pool.give(Buffer.allocUnsafe(32 * KiB));
    pool.take(16 * KiB);
    pool.take(128 * KiB);
    const value = async (name: string) => (await registry.getSingleMetric(name)!.get()).values[0]?.value;
    expect(await value('obsmon_bridge_buffer_pool_idle_bytes')).toBe(32 * KiB);
    expect(await value('obsmon_bridge_buffer_pool_reused_total')).toBe(1);
    expect(await value('obsmon_bridge_buffer_pool_allocated_total')).toBe(1);
    expect(await value('obsmon_bridge_buffer_pool_refused_total')).toBe(1);
    pool.give(Buffer.allocUnsafe(64 * KiB)); // over the bound again
    expect(await value('obsmon_bridge_buffer_pool_refused_total')).toBe(2);
  });
});

describe('buffers handed over and given back', () => {
  test('the disk spool takes a handed-over batch over without copying it; the pool never has it', async () => {
    const { spool, dir } = spoolIn();
    const batch = LineBatch.of(lines(0, 200));
    spool.append(batch, true);
    // Not copied: what the buffer holds now is what gets written (a caller must not touch it any more).
    batch.buffer.write('M', 0, 'latin1');
    scribbleOverPool();
    await spool.sync();
    const file = readFileSync(join(dir, 'segment-000000000001.lp'), 'latin1');
    expect(file).toBe(['M' + lines(0, 1)[0]!.slice(1), ...lines(1, 199)].join('\n') + '\n');
  });

  test('a handed-over batch spanning segments is kept by the first and copied for the next; a small one is copied', async () => {
    // Segments of 8 KiB: a batch of 300 lines (about 26 KiB) spans four.
    const { spool, dir } = spoolIn(1 << 16);
    const batch = LineBatch.of(lines(0, 300));
    const small = LineBatch.of(lines(300, 10));
    spool.append(batch, true);
    spool.append(small, true);
    // Mark every line in the handed-over buffers: only lines kept (not copied) show it in the files.
    for (const b of [batch, small])
      for (let i = 0, at = 0; i < b.count; at += b.lineBytes(i), i += 1) b.buffer.write('M', at, 'latin1');
    scribbleOverPool();
    await spool.sync();
    const files = readdirSync(dir)
      .filter((name) => name.startsWith('segment-'))
      .sort()
      .map((name) => readFileSync(join(dir, name), 'latin1').split('\n').slice(0, -1));
    expect(files.length).toBeGreaterThan(2);
    expect(files.flat().map((l) => l.slice(1))).toEqual(lines(0, 310).map((l) => l.slice(1)));
    expect(files[0]!.every((l) => l.startsWith('M'))).toBe(true);
    expect(
      files
        .slice(1)
        .flat()
        .every((l) => l.startsWith('m')),
    ).toBe(true);
  });

  test('a drained segment buffer goes to the pool only after its last ack; until then its lines read intact', async () => {
    const { spool } = spoolIn();
    spool.append(LineBatch.of(lines(0, 300)), true);
    await spool.sync();
    const first = await spool.read(100);
    spool.ack(first!);
    scribbleOverPool();
    const second = await spool.read(200);
    expect(second!.batch.lines()).toEqual(lines(100, 200));
    const before = bufferPool.stats().idleBytes;
    spool.ack(second!);
    expect(bufferPool.stats().idleBytes).toBeGreaterThan(before);
  });

  test("a failed request's body (a socket may still hold it) is never given to the pool; an answered one is", async () => {
    const bodies: Array<{ body: Buffer; text: string }> = [];
    let up = false;
    const endpoint: WriteEndpoint = {
      description: 'in-process',
      send: () => Promise.reject(new Error('byte path only')),
      async sendBatch(batch) {
        const body = batch.body();
        bodies.push({ body, text: body.toString('latin1') });
        if (!up) throw new WriteError('timeout', 'no answer within 10 ms');
      },
    };
    const { spool } = spoolIn();
    const events = { written() {}, failed() {}, deadLetter() {}, up() {}, droppedAtShutdown() {} };
    const writer = new SpoolingWriter(endpoint, spool, events, silentLogger, {
      batchSize: 500,
      flushIntervalMs: 10,
      fsyncIntervalMs: 10,
      retryInitialMs: 5,
      retryMaxMs: 20,
    });
    closers.unshift(() => writer.close());
    writer.write(lines(0, 500));
    await waitFor('the failed request spooled', () => spool.stats().points === 500);
    // More lines handed to the spool while the database is away, and the pool scribbled over meanwhile.
    writer.write(lines(500, 500));
    scribbleOverPool();
    const failed = bodies[0]!;
    expect(failed.body.toString('latin1')).toBe(failed.text);
    up = true;
    await waitFor('everything written', () => writer.pending === 0);
    scribbleOverPool();
    expect(failed.body.toString('latin1')).toBe(failed.text);
    // Every line arrived as sent, none garbled by a reused buffer.
    const written = new Set(bodies.slice(1).flatMap((b) => b.text.split('\n')));
    expect(lines(0, 1000).every((l) => written.has(l))).toBe(true);
  });
});

describe('the oldest-point gauge from suffix minima', () => {
  const at = (t: number) => `m,node=a v=1 ${t}`;

  test('follows appends and drains without rescanning: the oldest of what is left', async () => {
    const { spool } = spoolIn();
    spool.append([at(50), at(10), at(30)]);
    spool.append([at(20), at(40)]);
    expect(spool.stats().oldestTimestamp).toBe(10);
    await spool.sync();
    const drainOne = async (n: number) => spool.ack((await spool.read(n))!);
    await drainOne(2);
    expect(spool.stats().oldestTimestamp).toBe(20);
    // The head is sealed once read: a newer, older-stamped line goes to the next segment and counts.
    spool.append([at(5)]);
    expect(spool.stats().oldestTimestamp).toBe(5);
    await drainOne(2);
    expect(spool.stats().oldestTimestamp).toBe(5);
    await drainOne(1);
    expect(spool.stats().oldestTimestamp).toBe(5);
    await spool.sync();
    await drainOne(1);
    expect(spool.stats().oldestTimestamp).toBeUndefined();
  });

  test('after a restart the cursor position counts: drained lines are not the oldest any more', async () => {
    const { spool, dir } = spoolIn();
    spool.append([at(10), at(30), at(20), at(40)]);
    await spool.sync();
    spool.ack((await spool.read(1))!);
    await spool.close();
    closers.splice(0);
    // The cursor is written in the background; reopen once it is there.
    await waitFor('the cursor', () => readFileSync(join(dir, 'cursor'), 'latin1') === '1 1\n');
    const again = new DiskSpool({ dir, maxBytes: 1 << 24, log: silentLogger });
    closers.push(() => again.close());
    expect(again.stats()).toMatchObject({ points: 3, oldestTimestamp: 20 });
  });
});
