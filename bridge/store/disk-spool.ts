import { mkdirSync, rmSync } from 'node:fs';
import { open, rename, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../lib/logger.ts';
import { listSegments, lockDirectory, minTimestamp, readCursor, readSegment, segmentName, syncDirectory, timestampsOf } from './spool-files.ts';
import type { DropListener, Spool, SpoolBatch, SpoolStats } from './spool.ts';

export interface DiskSpoolOptions {
  readonly dir: string;
  /** Bound of the segment files together, bytes; past it the oldest segment is deleted. */
  readonly maxBytes: number;
  readonly onDrop?: DropListener;
  readonly log: Logger;
}

interface Segment {
  readonly seq: number;
  /** Bytes in the file plus bytes still buffered for it. */
  bytes: number;
  lines: number;
  minTimestamp: number | undefined;
  /** Appended but not yet written and fsync'd. */
  buffered: string[];
  handle: FileHandle | undefined;
  /** No more appends: a newer segment took over. */
  sealed: boolean;
}

/** The head segment in memory while it drains. */
interface Head {
  readonly seq: number;
  readonly lines: string[];
  readonly times: Float64Array;
  index: number;
}

/**
 * The spool as a directory of append-only segment files (`segment-<seq>.lp`, plain line protocol),
 * oldest first. Appends are buffered and written + fsync'd together by `sync` (the writer calls it
 * every --spool-fsync-interval), so a SIGKILL loses at most the lines of one interval; a torn last
 * line is cut off at the next start. Drained lines are tracked by a `cursor` file; a segment is
 * deleted once drained. A stale cursor after a crash only re-sends lines, which is idempotent.
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

  constructor(private readonly options: DiskSpoolOptions) {
    this.description = `directory "${options.dir}" (at most ${options.maxBytes} bytes)`;
    // Segments of 1/8 of the limit: dropping the oldest one past the limit loses at most that share.
    this.segmentBytes = Math.min(8 * 1024 * 1024, Math.max(4096, Math.floor(options.maxBytes / 8)));
    mkdirSync(options.dir, { recursive: true });
    this.unlock = lockDirectory(options.dir);
    this.recover();
  }

  append(lines: readonly string[]): void {
    let active = this.segments[this.segments.length - 1];
    for (const line of lines) {
      if (active === undefined || active.sealed || (active.bytes >= this.segmentBytes && active.lines > 0)) {
        if (active !== undefined) active.sealed = true;
        active = this.newSegment();
      }
      const size = line.length + 1;
      const t = Number(line.slice(line.lastIndexOf(' ') + 1));
      active.buffered.push(line);
      active.bytes += size;
      active.lines += 1;
      if (active.minTimestamp === undefined || t < active.minTimestamp) active.minTimestamp = t;
      this.diskBytes += size;
      this.pendingBytes += size;
      this.points += 1;
    }
    this.enforceLimit();
  }

  sync(): Promise<void> {
    return this.enqueue(async () => {
      let created = false;
      for (const segment of this.segments) {
        const count = segment.buffered.length;
        if (count > 0) {
          const text = `${segment.buffered.join('\n')}\n`;
          if (segment.handle === undefined) {
            segment.handle = await open(this.path(segment.seq), 'a');
            created = true;
          }
          await segment.handle.write(text, null, 'latin1');
          await segment.handle.sync();
          // Only now: after a failed write (disk full) the lines stay buffered for the next attempt.
          segment.buffered.splice(0, count);
        }
        if (segment.sealed && segment.handle !== undefined) {
          await segment.handle.close();
          segment.handle = undefined;
        }
      }
      if (created) syncDirectory(this.options.dir);
    });
  }

  async read(maxLines: number): Promise<SpoolBatch | undefined> {
    if (this.head === undefined) {
      const first = this.segments[0];
      if (first === undefined || first.lines === 0) return undefined;
      // The head is read from its file: seal it so later appends go to a new one, and write it out.
      first.sealed = true;
      await this.sync();
      if (this.segments[0] !== first) return this.read(maxLines);
      const { lines } = readSegment(this.path(first.seq));
      this.head = { seq: first.seq, lines, times: timestampsOf(lines), index: 0 };
    }
    const head = this.head;
    const lines = head.lines.slice(head.index, head.index + maxLines);
    return { lines, position: { segment: head.seq, start: head.index, end: head.index + lines.length } };
  }

  ack(batch: SpoolBatch): void {
    const head = this.head;
    const first = this.segments[0];
    if (head === undefined || first === undefined || batch.position.segment !== head.seq || batch.position.start !== head.index) return;
    let bytes = 0;
    for (let i = head.index; i < batch.position.end; i += 1) bytes += head.lines[i]!.length + 1;
    head.index = batch.position.end;
    this.pendingBytes -= bytes;
    this.points -= batch.lines.length;
    first.minTimestamp = minTimestamp(head.times, head.index);
    if (head.index >= head.lines.length) {
      this.removeFirst();
    } else {
      const cursor = `${head.seq} ${head.index}\n`;
      void this.enqueue(async () => {
        const tmp = join(this.options.dir, 'cursor.tmp');
        await writeFile(tmp, cursor);
        await rename(tmp, join(this.options.dir, 'cursor'));
      });
    }
  }

  stats(): SpoolStats {
    let oldest: number | undefined;
    for (const s of this.segments) if (s.minTimestamp !== undefined && (oldest === undefined || s.minTimestamp < oldest)) oldest = s.minTimestamp;
    return { bytes: this.pendingBytes, points: this.points, oldestTimestamp: oldest };
  }

  async close(): Promise<void> {
    for (const s of this.segments) s.sealed = true;
    await this.sync();
    this.unlock();
  }

  private recover(): void {
    const seqs = listSegments(this.options.dir);
    let cursor = readCursor(this.options.dir);
    if (cursor !== undefined && cursor.seq !== seqs[0]) {
      rmSync(join(this.options.dir, 'cursor'), { force: true });
      cursor = undefined;
    }
    this.nextSeq = Math.max(seqs[seqs.length - 1] ?? 0, cursor?.seq ?? 0) + 1;
    for (const seq of seqs) {
      const { lines, tornBytes } = readSegment(this.path(seq));
      if (tornBytes > 0) this.options.log.warn(`Cut ${tornBytes} bytes of an unfinished write off spool segment ${segmentName(seq)}`);
      if (lines.length === 0) {
        rmSync(this.path(seq), { force: true });
        continue;
      }
      const times = timestampsOf(lines);
      const bytes = lines.reduce((sum, l) => sum + l.length + 1, 0);
      const segment: Segment = { seq, bytes, lines: lines.length, minTimestamp: minTimestamp(times), buffered: [], handle: undefined, sealed: true };
      this.segments.push(segment);
      this.diskBytes += bytes;
      this.pendingBytes += bytes;
      this.points += lines.length;
      if (this.head === undefined) {
        this.head = { seq, lines, times, index: 0 };
        if (cursor?.seq === seq && cursor.line > 0) {
          const skip = Math.min(cursor.line, lines.length);
          for (let i = 0; i < skip; i += 1) this.pendingBytes -= lines[i]!.length + 1;
          this.points -= skip;
          this.head.index = skip;
          segment.minTimestamp = minTimestamp(times, skip);
        }
      }
    }
    if (this.points > 0) this.options.log.info(`Spool holds ${this.points} points from before the restart; they drain first`);
  }

  private newSegment(): Segment {
    const seq = this.nextSeq;
    this.nextSeq += 1;
    const segment: Segment = { seq, bytes: 0, lines: 0, minTimestamp: undefined, buffered: [], handle: undefined, sealed: false };
    this.segments.push(segment);
    return segment;
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
    let ackedBytes = 0;
    if (acked > 0) for (let i = 0; i < acked; i += 1) ackedBytes += this.head!.lines[i]!.length + 1;
    this.diskBytes -= first.bytes;
    this.pendingBytes -= first.bytes - ackedBytes;
    this.points -= first.lines - acked;
    const wasHead = this.head?.seq === first.seq;
    if (wasHead) this.head = undefined;
    first.buffered = [];
    void this.enqueue(async () => {
      await first.handle?.close();
      first.handle = undefined;
      await unlink(this.path(first.seq)).catch(() => {});
      if (wasHead) await unlink(join(this.options.dir, 'cursor')).catch(() => {});
    });
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.io.then(task);
    // One failed write (disk full) must not wedge every later one; the caller sees its own error.
    this.io = run.catch((error: Error) => this.options.log.error(`Spool I/O failed in "${this.options.dir}": ${error.message}`));
    return run;
  }

  private path(seq: number): string {
    return join(this.options.dir, segmentName(seq));
  }
}
