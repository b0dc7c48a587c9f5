import { lstatSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { open, rename, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../config/config-error.ts';
import { lockDirectory, syncDirectory } from '../lib/directory-lock.ts';
import type { Logger } from '../lib/logger.ts';
import { RateLimitedLog } from '../lib/rate-limited-log.ts';
import { parseLine } from '../protocol/line.ts';
import { reportBytes, type QueuedReport } from './queue.ts';

const SEGMENT = /^reports-(\d{12})\.log$/;
const CURSOR = 'cursor';
const LOCK = 'lock';
const OWN_FILES = new Set([CURSOR, `${CURSOR}.tmp`, LOCK]);

/** File name of segment `seq`; fixed width so a listing sorts in queue order. */
export const segmentName = (seq: number): string => `reports-${String(seq).padStart(12, '0')}.log`;

export interface DiskQueueOptions {
  readonly dir: string;
  /** The queue's byte bound (--queue-max-bytes); segment files are 1/16 of it, 4 KiB to 1 MiB. */
  readonly maxBytes: number;
  readonly log: Logger;
  /** A write or fsync failed: the reports are still sent, but not durable until a later write succeeds. */
  readonly onWriteFailure?: () => void;
  /** Lines found at start that are not a valid report (a damaged file): dropped. */
  readonly onCorrupt?: (lines: number) => void;
}

interface Entry {
  /** Undefined for lines that are done (acknowledged before a restart, or unreadable). */
  readonly report: QueuedReport | undefined;
  /** -1 until written. */
  index: number;
  segment: Segment | undefined;
  done: boolean;
}

interface Segment {
  readonly seq: number;
  /** One per line of the file, in file order. */
  readonly entries: Entry[];
  /** Entries not done. */
  live: number;
  /** Leading entries done (the cursor's line within the head segment). */
  donePrefix: number;
  /** Bytes of complete lines in the file. */
  bytes: number;
  handle: FileHandle | undefined;
  /** No more appends: recovered, full, or failed. */
  sealed: boolean;
}

/**
 * The exporter's queue on disk (`--queue-dir`): reports are appended to segment files
 * (`reports-<seq>.log`, one protocol line per report) and fsync'd before the sender sees them; pushes
 * that arrive during a write share the next one. A report leaves the disk when the bridge's PONG
 * confirms it (`remove`) or the queue drops it; a segment with nothing left is deleted, and the
 * position within the oldest one is kept in `cursor` (written and renamed, not fsync'd: a stale
 * cursor only re-sends acknowledged reports, which storage absorbs). At start the files are read
 * back oldest first; a torn last line (crash mid-write), lines that are not valid reports and stray
 * directory entries are skipped, logged and counted, never fatal. Everything on disk is also held in
 * memory (the ReportQueue), so the bound of one is the bound of the other.
 */
export class DiskQueue {
  private readonly segments: Segment[] = [];
  private readonly entries = new Map<QueuedReport, Entry>();
  private pending: Entry[] = [];
  private readonly segmentBytes: number;
  private nextSeq = 1;
  // File operations run one after another, in call order.
  private io: Promise<unknown> = Promise.resolve();
  private nextWrite: Promise<boolean> | undefined;
  private cursorWanted = '';
  private cursorSaved = '';
  private cursorQueued = false;
  private readonly unlock: () => void;
  private readonly warnings: RateLimitedLog;
  private recovered: QueuedReport[] = [];

  constructor(private readonly options: DiskQueueOptions) {
    this.segmentBytes = Math.min(1 << 20, Math.max(4096, Math.floor(options.maxBytes / 16)));
    this.warnings = new RateLimitedLog(options.log);
    const what = `Queue directory "${options.dir}" (--queue-dir)`;
    try {
      mkdirSync(options.dir, { recursive: true, mode: 0o700 });
      this.unlock = lockDirectory(options.dir, LOCK, what);
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      throw new ConfigError(`${what} cannot be used: ${(error as Error).message}`);
    }
    try {
      this.recover();
    } catch (error) {
      this.unlock();
      throw new ConfigError(`${what} cannot be read: ${(error as Error).message}`);
    }
  }

  /** The reports found at start, oldest first (once: the caller queues them). */
  takeBacklog(): QueuedReport[] {
    const backlog = this.recovered;
    this.recovered = [];
    return backlog;
  }

  /** Bytes of the segment files (including lines already acknowledged in a partly drained one). */
  get diskBytes(): number {
    return this.segments.reduce((sum, s) => sum + s.bytes, 0);
  }

  /**
   * Append a report; resolves once it is written and fsync'd (true) or the write failed (false:
   * logged, counted, retried with the next append).
   */
  append(report: QueuedReport): Promise<boolean> {
    const entry: Entry = { report, index: -1, segment: undefined, done: false };
    this.entries.set(report, entry);
    this.pending.push(entry);
    this.nextWrite ??= this.enqueue(() => {
      this.nextWrite = undefined;
      return this.writePending();
    });
    return this.nextWrite;
  }

  /** These reports need no resending: acknowledged by the bridge, or dropped by the queue. */
  remove(reports: readonly QueuedReport[]): void {
    for (const report of reports) {
      const entry = this.entries.get(report);
      if (entry === undefined) continue;
      this.entries.delete(report);
      entry.done = true;
      if (entry.segment !== undefined) entry.segment.live -= 1;
    }
    // While writes fail or hang, acknowledged reports must not pile up in the pending list.
    if (this.pending.length > 1024) this.pending = this.pending.filter((e) => !e.done);
    this.collect();
  }

  /** Write what is pending, close the files and release the directory. Reports not removed stay on disk. */
  async close(): Promise<void> {
    await this.enqueue(() => this.writePending());
    for (const s of this.segments) this.seal(s);
    // Files with nothing left go now; the rest waits for the next start.
    this.collect();
    await this.enqueue(async () => {});
    this.unlock();
  }

  private async writePending(): Promise<boolean> {
    const batch = this.pending.filter((e) => !e.done);
    this.pending = [];
    if (batch.length === 0) return true;
    let segment = this.segments.at(-1);
    if (segment === undefined || segment.sealed || segment.bytes >= this.segmentBytes) {
      if (segment !== undefined) this.seal(segment);
      segment = this.newSegment();
    }
    const text = batch.map((e) => `${e.report!.line}\n`).join('');
    let created = false;
    try {
      if (segment.handle === undefined) {
        segment.handle = await open(this.path(segment.seq), 'a', 0o600);
        created = segment.bytes === 0;
      }
      await segment.handle.write(text, null, 'latin1');
      await segment.handle.datasync();
      // The new file's name must survive a power cut too (NTFS journals it; Windows cannot open a directory).
      if (created && process.platform !== 'win32') syncDirectory(this.options.dir);
    } catch (error) {
      // None of the batch counts as written: cut off what part of it reached the file and take a
      // new file for the retry, so a half-written line can never merge with the next one.
      await segment.handle?.truncate(segment.bytes).catch(() => {});
      this.seal(segment);
      this.pending = [...batch.filter((e) => !e.done), ...this.pending];
      this.options.onWriteFailure?.();
      this.warnings.warn(
        'write',
        `Cannot write the queue to "${this.options.dir}" (${(error as Error).message}); ${this.pending.length} reports are in memory only until a write succeeds`,
      );
      this.collect();
      return false;
    }
    for (const entry of batch) {
      entry.segment = segment;
      entry.index = segment.entries.length;
      segment.entries.push(entry);
      // Acknowledged or dropped while being written: a done line from the start.
      if (!entry.done) segment.live += 1;
    }
    segment.bytes += text.length;
    this.collect();
    return true;
  }

  /** Delete segments with nothing left, and move the cursor over the done lines of the oldest. */
  private collect(): void {
    for (let i = 0; i < this.segments.length;) {
      const s = this.segments[i]!;
      if (s.sealed && s.live === 0) {
        this.segments.splice(i, 1);
        this.deleteSegment(s);
      } else {
        i += 1;
      }
    }
    const head = this.segments[0];
    if (head === undefined) return;
    while (head.donePrefix < head.entries.length && head.entries[head.donePrefix]!.done) head.donePrefix += 1;
    this.saveCursor(`${head.seq} ${head.donePrefix}\n`);
  }

  private saveCursor(text: string): void {
    this.cursorWanted = text;
    if (this.cursorQueued || text === this.cursorSaved) return;
    this.cursorQueued = true;
    void this.enqueue(async () => {
      this.cursorQueued = false;
      const wanted = this.cursorWanted;
      if (wanted === this.cursorSaved) return;
      const tmp = join(this.options.dir, `${CURSOR}.tmp`);
      await writeFile(tmp, wanted, { mode: 0o600 });
      await rename(tmp, join(this.options.dir, CURSOR));
      this.cursorSaved = wanted;
    });
  }

  private seal(segment: Segment): void {
    segment.sealed = true;
    const handle = segment.handle;
    segment.handle = undefined;
    if (handle !== undefined) void this.enqueue(() => handle.close());
  }

  private deleteSegment(segment: Segment): void {
    for (const e of segment.entries) if (e.report !== undefined) this.entries.delete(e.report);
    void this.enqueue(async () => {
      await segment.handle?.close().catch(() => {});
      segment.handle = undefined;
      await unlink(this.path(segment.seq)).catch(() => {});
    });
  }

  private newSegment(): Segment {
    const segment: Segment = {
      seq: this.nextSeq,
      entries: [],
      live: 0,
      donePrefix: 0,
      bytes: 0,
      handle: undefined,
      sealed: false,
    };
    this.nextSeq += 1;
    this.segments.push(segment);
    return segment;
  }

  private recover(): void {
    const { dir, log } = this.options;
    const seqs: number[] = [];
    const odd: string[] = [];
    for (const dirent of readdirSync(dir, { withFileTypes: true })) {
      const m = SEGMENT.exec(dirent.name);
      // Never reuse a number that is taken, even by something that is not a segment file.
      if (m !== null) this.nextSeq = Math.max(this.nextSeq, Number(m[1]) + 1);
      if (m !== null && dirent.isFile()) seqs.push(Number(m[1]));
      else if (!(OWN_FILES.has(dirent.name) && dirent.isFile())) odd.push(dirent.name);
    }
    if (odd.length > 0) {
      const names = odd
        .slice(0, 5)
        .map((n) => JSON.stringify(n.slice(0, 64)))
        .join(', ');
      log.warn(
        `Ignoring ${odd.length} unexpected entries in the queue directory "${dir}": ${names}${odd.length > 5 ? ', …' : ''}`,
      );
    }
    seqs.sort((a, b) => a - b);
    const cursor = this.readCursor();
    let corrupt = 0;
    for (const seq of seqs) {
      const path = this.path(seq);
      // Segments before the cursor's were fully acknowledged; their deletion did not happen yet.
      if (cursor !== undefined && seq < cursor.seq) {
        rmSync(path, { force: true });
        continue;
      }
      let text: string;
      try {
        const size = lstatSync(path).size;
        if (size > Math.max(this.options.maxBytes, 4 * this.segmentBytes))
          throw new Error(`${size} bytes, more than this queue writes`);
        text = readFileSync(path, 'latin1');
      } catch (error) {
        log.warn(`Ignoring queue file "${path}": ${(error as Error).message}`);
        continue;
      }
      const end = text.lastIndexOf('\n') + 1;
      // A SIGKILL or power cut during a write can leave half a line; the file is never appended to again.
      if (end < text.length)
        log.warn(`Skipped ${text.length - end} bytes of an unfinished write at the end of "${path}"`);
      const lines = end === 0 ? [] : text.slice(0, end - 1).split('\n');
      const skip = cursor?.seq === seq ? Math.min(cursor.line, lines.length) : 0;
      const segment: Segment = {
        seq,
        entries: [],
        live: 0,
        donePrefix: 0,
        bytes: end,
        handle: undefined,
        sealed: true,
      };
      for (const [index, line] of lines.entries()) {
        const parsed = index < skip ? undefined : parseLine(line);
        if (parsed !== undefined && !parsed.ok) corrupt += 1;
        const report = parsed?.ok ? { line, timestamp: parsed.report.timestamp } : undefined;
        const entry: Entry = { report, index, segment, done: report === undefined };
        segment.entries.push(entry);
        if (report !== undefined) {
          segment.live += 1;
          this.entries.set(report, entry);
          this.recovered.push(report);
        }
      }
      this.segments.push(segment);
    }
    if (corrupt > 0) {
      log.warn(`Dropped ${corrupt} unreadable lines from the queue directory "${dir}" (damaged files)`);
      this.options.onCorrupt?.(corrupt);
    }
    const bytes = this.recovered.reduce((sum, r) => sum + reportBytes(r), 0);
    if (this.recovered.length > 0)
      log.info(
        `The queue directory holds ${this.recovered.length} reports (${bytes} bytes) from before the restart; they are sent first, oldest first`,
      );
    this.collect();
  }

  private readCursor(): { seq: number; line: number } | undefined {
    try {
      const m = /^(\d{1,15}) (\d{1,15})\n?$/.exec(readFileSync(join(this.options.dir, CURSOR), 'latin1'));
      if (m !== null) return { seq: Number(m[1]), line: Number(m[2]) };
      this.options.log.warn(
        `Ignoring an unreadable cursor in the queue directory "${this.options.dir}"; the oldest file is re-sent from its start`,
      );
    } catch {
      // No cursor (or not a file): the oldest segment is sent from its start.
    }
    return undefined;
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.io.then(task);
    // One failed operation must not wedge every later one; the caller sees its own error.
    this.io = run.catch((error: Error) =>
      this.warnings.warn('io', `Queue I/O failed in "${this.options.dir}": ${error.message}`),
    );
    return run;
  }

  private path(seq: number): string {
    return join(this.options.dir, segmentName(seq));
  }
}
