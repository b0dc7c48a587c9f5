import { mkdirSync, rmSync } from 'node:fs';
import { open, rename, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDirectory } from '../../lib/directory-lock.ts';
import type { Logger } from '../../lib/logger.ts';
import { RateLimitedLog } from '../../lib/rate-limited-log.ts';
import { listSegments, lockSpoolDirectory, oldestFrom, readCursor, readSegment, segmentName } from './spool-files.ts';
import { bufferPool } from './buffer-pool.ts';
import { LineBatch, LineBatchBuilder } from './line-batch.ts';
import { spoolBatchOfBytes, type DropListener, type Spool, type SpoolBatch, type SpoolStats } from './spool.ts';

/** File operations of the spool, each a label value of `obsmon_bridge_spool_errors_total{op}`. */
export const SPOOL_OPS = [
  /** Writing and fsyncing segment lines (and creating the file): failing here withholds acknowledgements. */
  'write',
  /** Reading the oldest segment back to drain it. */
  'read',
  /** Saving the drain position. */
  'cursor',
  /** Deleting a drained or dropped segment. */
  'remove',
] as const;
export type SpoolOp = (typeof SPOOL_OPS)[number];

/** What start-up found wrong in the directory and repaired, each a label of `obsmon_bridge_spool_repairs_total{kind}`. */
export const SPOOL_REPAIRS = [
  /** Half a line at the end of a segment (a crash during a write), cut off. */
  'torn_tail',
  /** A cursor past the end of its segment or unreadable: the segment is replayed from its start. */
  'invalid_cursor',
  /** An entry named like a segment that is not a readable regular file: skipped. */
  'odd_entry',
] as const;
export type SpoolRepair = (typeof SPOOL_REPAIRS)[number];

/** Buffers to read a segment into are taken in multiples of this (64 KiB). */
const READ_ROUNDING = 64 * 1024;

/** A batch handed to the spool is kept as it is (a piece of a segment) from this size on, smaller ones are copied. */
const MIN_PIECE_BYTES = 16 * 1024;

/** While writes fail, at most this many bytes of lines wait in memory for the disk (64 MiB, or the spool limit if smaller). */
export const MAX_UNWRITTEN_BYTES = 64 * 1024 * 1024;

export interface DiskSpoolOptions {
  readonly dir: string;
  /** Bound of the segment files together, bytes; past it the oldest segment is deleted. */
  readonly maxBytes: number;
  readonly onDrop?: DropListener;
  /** A file operation failed (it is also logged, rate-limited). */
  readonly onError?: (op: SpoolOp, error: Error) => void;
  /** Start-up repaired something (it is also logged). */
  readonly onRepair?: (kind: SpoolRepair, count: number) => void;
  readonly log: Logger;
  /** Opens segment files for writing; a test puts a failing filesystem here. */
  readonly openFile?: (path: string, flags: 'w' | 'r+') => Promise<FileHandle>;
}

interface Segment {
  readonly seq: number;
  /** Bytes in the file plus bytes still buffered for it. */
  bytes: number;
  lines: number;
  minTimestamp: number | undefined;
  /**
   * Lines appended and not yet written and fsync'd, oldest first, each a batch of the spool's own:
   * a batch handed over (the writer's) as it is, without a copy; other lines (strings, a batch a
   * socket may still read) copied into `copies`, which becomes a piece when a write starts or a
   * handed-over batch follows. A write takes the pieces there are, one after another; written and
   * fsync'd, their buffers go to the pool. A failed write leaves them for the next try.
   */
  pieces: LineBatch[];
  copies: LineBatchBuilder;
  /** Lines and bytes in `pieces` and `copies`. */
  bufferedLines: number;
  bufferedBytes: number;
  /** Length of the file's written and fsync'd part: the next write goes there, a failed one is cut back to it. */
  written: number;
  handle: FileHandle | undefined;
  /** No more appends: a newer segment took over. */
  sealed: boolean;
  /** Dropped (drained, or past the limit) while a write of it may still run. */
  removed: boolean;
}

/** The head segment in memory while it drains. */
interface Head {
  readonly seq: number;
  readonly batch: LineBatch;
  /** `oldest[i]`: the oldest timestamp of lines i.. (suffix minima): the gauge after an ack, without a rescan. */
  readonly oldest: Float64Array;
  index: number;
  /** Bytes of the lines before `index`. */
  indexBytes: number;
}

/**
 * The spool as a directory of append-only segment files (`segment-<seq>.lp`, plain line protocol),
 * oldest first. It holds lines as bytes (LineBatch): appends are copied into one buffer per segment
 * and written + fsync'd together by `sync` (the writer calls it
 * every --spool-fsync-interval), so a SIGKILL loses at most the lines of one interval; a torn last
 * line is cut off at the next start. The oldest segment is read back whole and drained in byte
 * ranges of it (each request's body as it is in the file). Drained lines are tracked by a `cursor`
 * file; a segment is deleted once drained. A stale cursor after a crash only re-sends lines, which is idempotent.
 *
 * A failed write (disk full, I/O error) keeps its lines in memory for the next sync, which rewrites
 * them at the same offset, and `sync` rejects: the writer then withholds acknowledgements (PONG)
 * until a sync succeeds. Writes are positional and a failed one is cut back, so a half-written line
 * can never end up glued to the next one.
 */
export class DiskSpool implements Spool {
  readonly description: string;
  readonly durable = true;
  private readonly segments: Segment[] = [];
  private head: Head | undefined;
  private diskBytes = 0;
  private pendingBytes = 0;
  private points = 0;
  private readonly segmentBytes: number;
  // Never reused: a cursor file naming an old segment must not apply to a new one.
  private nextSeq = 1;
  // File operations run one after another, in call order.
  private io: Promise<void> = Promise.resolve();
  private readonly unlock: () => void;
  private readonly problems: RateLimitedLog;
  /** Bytes appended and not yet written (all segments). */
  private unwrittenBytes = 0;
  /** The last write failed: new lines wait in memory, up to maxUnwrittenBytes. */
  private failing = false;
  private readonly maxUnwrittenBytes: number;

  constructor(private readonly options: DiskSpoolOptions) {
    this.description = `directory "${options.dir}" (at most ${options.maxBytes} bytes)`;
    // Segments of 1/8 of the limit: dropping the oldest one past the limit loses at most that share.
    this.segmentBytes = Math.min(8 * 1024 * 1024, Math.max(4096, Math.floor(options.maxBytes / 8)));
    this.maxUnwrittenBytes = Math.min(options.maxBytes, MAX_UNWRITTEN_BYTES);
    // Error level: a failing spool means unacknowledged reports; one line per operation a minute.
    const log = options.log;
    this.problems = new RateLimitedLog({ ...log, warn: (m) => log.error(m) });
    mkdirSync(options.dir, { recursive: true });
    this.unlock = lockSpoolDirectory(options.dir);
    this.recover();
  }

  append(given: LineBatch | readonly string[], owned = false): void {
    const batch = given instanceof LineBatch ? given : LineBatch.of(given);
    // Lines given as strings were encoded into a buffer of our own.
    const handedOver = owned || !(given instanceof LineBatch);
    // A small batch (a report's lines during an outage) is copied: a piece per report would cost more.
    const ours = handedOver && batch.byteLength >= MIN_PIECE_BYTES;
    // Its buffer went to a segment as a piece: the segment gives it back once written.
    let adopted = false;
    let active = this.segments[this.segments.length - 1];
    // Lines from..i go to `active`, copied in one piece when it changes or at the end.
    let from = 0;
    let end = batch.count;
    for (let i = 0; i < batch.count; i += 1) {
      const size = batch.lineBytes(i);
      // The disk is failing: memory holds the lines only up to a bound. None of them is acknowledged,
      // so an agent with PING/PONG sends them again.
      if (this.failing && this.unwrittenBytes + size > this.maxUnwrittenBytes) {
        end = i;
        break;
      }
      if (active === undefined || active.sealed || (active.bytes >= this.segmentBytes && active.lines > 0)) {
        if (active !== undefined) {
          adopted = this.buffer(active, batch.slice(from, i), ours && !adopted) || adopted;
          active.sealed = true;
        }
        active = this.newSegment();
        from = i;
      }
      const t = batch.timestamp(i);
      this.unwrittenBytes += size;
      active.bytes += size;
      active.lines += 1;
      if (active.minTimestamp === undefined || t < active.minTimestamp) active.minTimestamp = t;
      this.diskBytes += size;
      this.pendingBytes += size;
      this.points += 1;
    }
    if (active !== undefined) adopted = this.buffer(active, batch.slice(from, end), ours && !adopted) || adopted;
    // Copied (not adopted): the handed-over buffer is read by no one any more.
    if (handedOver && !adopted && batch.count > 0) bufferPool.give(batch.buffer);
    if (end < batch.count) this.options.onDrop?.(batch.count - end, 'spool_error');
    this.enforceLimit();
  }

  /**
   * Keep lines for the segment's next write; true when it took over their buffer (`mayAdopt`: they
   * are of a batch handed over to the spool whose buffer no other segment holds). A batch spanning
   * two segments is adopted by the first and copied for the second: a buffer has one owner, which
   * gives it back.
   */
  private buffer(segment: Segment, lines: LineBatch, mayAdopt: boolean): boolean {
    if (lines.count === 0) return false;
    if (mayAdopt) {
      this.sealCopies(segment);
      segment.pieces.push(lines);
    } else segment.copies.addBatch(lines);
    segment.bufferedLines += lines.count;
    segment.bufferedBytes += lines.byteLength;
    return mayAdopt;
  }

  sync(): Promise<void> {
    return this.enqueue('write', async () => {
      // Every segment gets its chance: one that cannot be written must not keep the others in memory.
      let failure: unknown;
      for (const segment of this.segments) await this.writeOut(segment).catch((error: unknown) => (failure ??= error));
      if (failure !== undefined) throw failure;
    });
  }

  /** The copied lines so far become a piece (the next ones go to a new buffer). */
  private sealCopies(segment: Segment): void {
    if (segment.copies.count > 0) segment.pieces.push(segment.copies.take());
  }

  /** Write and fsync a segment's buffered lines; close it once sealed. */
  private async writeOut(segment: Segment): Promise<void> {
    if (segment.bufferedLines > 0) {
      // Lines appended while this write runs become later pieces and wait for the next one.
      this.sealCopies(segment);
      const pending = segment.pieces.slice();
      const data = pending.map((piece) => piece.bytes());
      const length = data.reduce((sum, d) => sum + d.length, 0);
      const lines = pending.reduce((sum, piece) => sum + piece.count, 0);
      try {
        if (segment.handle === undefined) {
          // Not 'a': positional writes, so a retry after a failure rewrites the same bytes.
          segment.handle = await (this.options.openFile ?? open)(
            this.path(segment.seq),
            segment.written === 0 ? 'w' : 'r+',
          );
          syncDirectory(this.options.dir);
        }
        await writeAllAt(segment.handle, data, segment.written);
        await segment.handle.sync();
      } catch (error) {
        // A full disk takes part of a write: cut it back so the file holds whole lines only.
        await segment.handle?.truncate(segment.written).catch(() => {});
        this.failing = true;
        throw error;
      }
      segment.written += length;
      if (!segment.removed) {
        segment.pieces.splice(0, pending.length);
        // Written and fsync'd: nothing reads these buffers any more (a segment is drained from its file).
        for (const piece of pending) bufferPool.give(piece.buffer);
        segment.bufferedLines -= lines;
        segment.bufferedBytes -= length;
        this.unwrittenBytes -= length;
      }
    }
    if (segment.sealed && segment.handle !== undefined) {
      await segment.handle.close();
      segment.handle = undefined;
    }
    if (this.segments.every((s) => s.bufferedLines === 0)) this.failing = false;
  }

  async read(maxLines: number): Promise<SpoolBatch | undefined> {
    if (this.head === undefined) {
      const first = this.segments[0];
      if (first === undefined || first.lines === 0) return undefined;
      // The head is read from its file: seal it so later appends go to a new one, and write it out.
      // Only it: a full disk must not keep the older, already written segments from draining (and
      // draining is what frees the disk when the spool filled it).
      first.sealed = true;
      const writable = await this.enqueue('write', () => this.writeOut(first)).then(
        () => true,
        () => false,
      );
      if (this.segments[0] !== first) return this.read(maxLines);
      const path = this.path(first.seq);
      const onDisk =
        first.written === 0 ? LineBatch.empty : (await this.enqueue('read', async () => this.readHead(path))).batch;
      if (this.segments[0] !== first) return this.read(maxLines);
      // Lines the disk did not take drain from memory: the database may be back while the disk is
      // not. They stay counted as unwritten (so still unacknowledged) until drained or written.
      // (A copy: the pieces' buffers go to the pool once they are written.)
      let batch = onDisk;
      if (!writable) {
        const inMemory = [...first.pieces, first.copies.view()];
        batch = LineBatch.concat([onDisk, ...inMemory]);
        if (inMemory.some((b) => b.count > 0 && b.buffer === batch.buffer)) batch = batch.copy();
        // Copied: the buffer read from the file serves again.
        if (batch !== onDisk && onDisk.count > 0) bufferPool.give(onDisk.buffer);
      }
      this.head = { seq: first.seq, batch, oldest: oldestFrom(batch), index: 0, indexBytes: 0 };
    }
    const head = this.head;
    const batch = head.batch.slice(head.index, head.index + maxLines);
    return spoolBatchOfBytes(batch, { segment: head.seq, start: head.index, end: head.index + batch.count });
  }

  ack(batch: SpoolBatch): void {
    const head = this.head;
    const first = this.segments[0];
    if (
      head === undefined ||
      first === undefined ||
      batch.position.segment !== head.seq ||
      batch.position.start !== head.index
    )
      return;
    const acked = head.batch.slice(head.index, batch.position.end);
    head.index += acked.count;
    head.indexBytes += acked.byteLength;
    this.pendingBytes -= acked.byteLength;
    this.points -= acked.count;
    first.minTimestamp = head.oldest[head.index];
    if (head.index >= head.batch.count) {
      // Every request of it was answered (this is its last ack): its buffer can take the next segment.
      bufferPool.give(head.batch.buffer);
      this.removeFirst();
    } else {
      const cursor = `${head.seq} ${head.index}\n`;
      void this.enqueue('cursor', async () => {
        const tmp = join(this.options.dir, 'cursor.tmp');
        await writeFile(tmp, cursor);
        await rename(tmp, join(this.options.dir, 'cursor'));
      });
    }
  }

  stats(): SpoolStats {
    let oldest: number | undefined;
    for (const s of this.segments)
      if (s.minTimestamp !== undefined && (oldest === undefined || s.minTimestamp < oldest)) oldest = s.minTimestamp;
    return { bytes: this.pendingBytes, points: this.points, oldestTimestamp: oldest };
  }

  async close(): Promise<void> {
    for (const s of this.segments) s.sealed = true;
    try {
      await this.sync();
    } catch {
      // Logged and counted as a write error already; what never reached the disk dies with the process.
      const lost = this.segments.reduce((sum, s) => sum + s.bufferedLines, 0);
      this.options.log.error(`Lost ${lost} points at shutdown: they could not be written to the spool`);
      this.options.onDrop?.(lost, 'spool_error');
      for (const s of this.segments) await s.handle?.close().catch(() => {});
    } finally {
      this.unlock();
    }
  }

  private recover(): void {
    const { dir } = this.options;
    const { seqs: found, odd, highest } = listSegments(dir);
    for (const name of odd)
      this.repaired('odd_entry', 1, `Skipped "${join(dir, name)}": named like a spool segment but not a regular file`);
    let cursor = readCursor(dir);
    if (cursor === 'invalid') {
      this.repaired(
        'invalid_cursor',
        1,
        `The spool cursor "${join(dir, 'cursor')}" is unreadable; the oldest segment is replayed from its start (re-sent points overwrite themselves)`,
      );
      cursor = undefined;
    }
    // Each segment is read once; only the first readable one (the head) stays in memory.
    let cursorChecked = false;
    for (const seq of found) {
      let batch: LineBatch;
      try {
        const read = readSegment(this.path(seq));
        batch = read.batch;
        if (read.tornBytes > 0)
          this.repaired(
            'torn_tail',
            1,
            `Cut ${read.tornBytes} bytes of an unfinished write off spool segment ${segmentName(seq)}`,
          );
      } catch (error) {
        this.repaired('odd_entry', 1, `Skipped spool segment "${this.path(seq)}": ${(error as Error).message}`);
        continue;
      }
      if (!cursorChecked) {
        // The cursor applies to the oldest readable segment only.
        cursorChecked = true;
        if (cursor !== undefined && cursor.seq !== seq) cursor = undefined;
        if (cursor === undefined) rmSync(join(dir, 'cursor'), { force: true, recursive: true });
      }
      if (batch.count === 0) {
        rmSync(this.path(seq), { force: true });
        continue;
      }
      const oldest = oldestFrom(batch);
      const bytes = batch.byteLength;
      const segment: Segment = {
        ...this.emptySegment(seq),
        bytes,
        lines: batch.count,
        minTimestamp: oldest[0],
        written: bytes,
        sealed: true,
      };
      this.segments.push(segment);
      this.diskBytes += bytes;
      this.pendingBytes += bytes;
      this.points += batch.count;
      if (this.head === undefined) {
        this.head = { seq, batch, oldest, index: 0, indexBytes: 0 };
        if (cursor?.seq === seq && cursor.line > batch.count) {
          // The segment is shorter than what was drained of it: not the file the cursor was saved for
          // (damaged, replaced). Skipping would lose all of it; replaying only re-sends.
          this.repaired(
            'invalid_cursor',
            1,
            `The spool cursor points past the end of segment ${segmentName(seq)} (line ${cursor.line} of ${batch.count}); replaying the segment from its start (re-sent points overwrite themselves)`,
          );
          rmSync(join(dir, 'cursor'), { force: true });
        } else if (cursor?.seq === seq && cursor.line > 0) {
          const skipped = batch.slice(0, cursor.line);
          this.pendingBytes -= skipped.byteLength;
          this.points -= skipped.count;
          this.head.index = skipped.count;
          this.head.indexBytes = skipped.byteLength;
          segment.minTimestamp = oldest[skipped.count];
        }
      }
    }
    if (!cursorChecked) {
      cursor = undefined;
      rmSync(join(dir, 'cursor'), { force: true, recursive: true });
    }
    this.nextSeq = Math.max(highest, cursor?.seq ?? 0) + 1;
    if (this.points > 0)
      this.options.log.info(`Spool holds ${this.points} points from before the restart; they drain first`);
  }

  private repaired(kind: SpoolRepair, count: number, message: string): void {
    this.options.onRepair?.(kind, count);
    this.options.log.warn(message);
  }

  private readHead(path: string): ReturnType<typeof readSegment> {
    // Rounded up: segments differ in size by up to a line, and the last one's buffer should fit the next.
    return readSegment(path, (size) => bufferPool.take(Math.ceil(size / READ_ROUNDING) * READ_ROUNDING));
  }

  private newSegment(): Segment {
    const segment = this.emptySegment(this.nextSeq);
    this.nextSeq += 1;
    this.segments.push(segment);
    return segment;
  }

  private emptySegment(seq: number): Segment {
    return {
      seq,
      bytes: 0,
      lines: 0,
      minTimestamp: undefined,
      pieces: [],
      copies: new LineBatchBuilder(),
      bufferedLines: 0,
      bufferedBytes: 0,
      written: 0,
      handle: undefined,
      sealed: false,
      removed: false,
    };
  }

  private enforceLimit(): void {
    let dropped = 0;
    while (this.diskBytes > this.options.maxBytes && this.segments.length > 1) {
      const first = this.segments[0]!;
      dropped += this.head?.seq === first.seq ? first.lines - this.head.index : first.lines;
      this.removeFirst();
    }
    if (dropped > 0) this.options.onDrop?.(dropped);
  }

  private removeFirst(): void {
    const first = this.segments.shift()!;
    const acked = this.head?.seq === first.seq ? this.head.index : 0;
    const ackedBytes = this.head?.seq === first.seq ? this.head.indexBytes : 0;
    this.diskBytes -= first.bytes;
    this.pendingBytes -= first.bytes - ackedBytes;
    this.points -= first.lines - acked;
    const wasHead = this.head?.seq === first.seq;
    if (wasHead) this.head = undefined;
    this.unwrittenBytes -= first.bufferedBytes;
    first.removed = true;
    // Not to the pool: a write of them may still be running.
    first.pieces = [];
    first.copies.release();
    first.bufferedLines = 0;
    first.bufferedBytes = 0;
    if (this.segments.every((s) => s.bufferedLines === 0)) this.failing = false;
    void this.enqueue('remove', async () => {
      await first.handle?.close();
      first.handle = undefined;
      await unlink(this.path(first.seq)).catch((error: NodeJS.ErrnoException) => {
        // Never written (all its lines were still in memory): nothing to remove.
        if (error.code !== 'ENOENT') throw error;
      });
      if (wasHead) await unlink(join(this.options.dir, 'cursor')).catch(() => {});
    });
  }

  private enqueue<T>(op: SpoolOp, task: () => Promise<T>): Promise<T> {
    const run = this.io.then(task);
    // One failed write (disk full) must not wedge every later one; the caller sees its own error.
    this.io = run.then(
      () => {},
      (error: Error) => {
        this.options.onError?.(op, error);
        const consequence = op === 'write' ? '; reports are not acknowledged (no PONG) until a write succeeds' : '';
        this.problems.warn(op, `Spool ${op} failed in "${this.options.dir}": ${error.message}${consequence}`);
      },
    );
    return run;
  }

  private path(seq: number): string {
    return join(this.options.dir, segmentName(seq));
  }
}

/** Write all of `data` at `position` on, piece after piece (a short write continues where it stopped). */
async function writeAllAt(handle: FileHandle, data: readonly Buffer[], position: number): Promise<void> {
  let at = position;
  for (const d of data)
    for (let done = 0; done < d.length;) {
      const { bytesWritten } = await handle.write(d, done, d.length - done, at);
      if (bytesWritten === 0) throw new Error('wrote 0 bytes');
      done += bytesWritten;
      at += bytesWritten;
    }
}
