import { bufferPool, type BufferPool } from './buffer-pool.ts';
import { timestampOfLine } from './line-protocol.ts';

const NEWLINE = 0x0a;

/**
 * Lines as the bytes that go to the database, each ending in `\n`, with where each ends: what the
 * writer batches, the disk spool writes and reads back, and an endpoint posts as its body. Lines are
 * written once into a batch's buffer at `write()`; slicing (a request of a spool segment, a half of a
 * bisected batch) shares that buffer, and only a line that must be read as text (a dead letter, an
 * endpoint that re-encodes, such as remote write) becomes a string again. Latin-1 throughout: live
 * lines are ASCII, and a spool file's bytes map one to one onto characters and back.
 */
export class LineBatch {
  /**
   * `ends[first + i]` is the offset in `data` just past line i's `\n`; line i starts where the line
   * before it ends (line 0 of `data` at 0).
   */
  private constructor(
    private readonly data: Buffer,
    private readonly ends: Uint32Array,
    private readonly first: number,
    /** Number of lines. */
    readonly count: number,
  ) {}

  static readonly empty = new LineBatch(Buffer.alloc(0), new Uint32Array(0), 0, 0);

  /** The first `count` lines of `data` as `ends` delimits them (see the constructor); takes both over. */
  static over(data: Buffer, ends: Uint32Array, count: number): LineBatch {
    return new LineBatch(data, ends, 0, count);
  }

  /** Lines given as strings (tests, the probe's last good line). */
  static of(lines: readonly string[]): LineBatch {
    const builder = new LineBatchBuilder(lines.reduce((sum, l) => sum + l.length + 1, 0));
    for (const line of lines) builder.add(line);
    return builder.take();
  }

  /**
   * The complete lines of `data` (a spool segment as read from disk). What follows the last `\n` is
   * not a line (a write torn by a crash); `tornBytes` says how much that was.
   */
  static parse(data: Buffer): { batch: LineBatch; tornBytes: number } {
    let ends: Uint32Array = new Uint32Array(Math.max(16, Math.ceil(data.length / 64)));
    let count = 0;
    for (let nl = data.indexOf(NEWLINE); nl >= 0; nl = data.indexOf(NEWLINE, nl + 1)) {
      if (count === ends.length) ends = grown(ends, count + 1);
      ends[count] = nl + 1;
      count += 1;
    }
    const end = count === 0 ? 0 : ends[count - 1]!;
    return { batch: new LineBatch(data, ends, 0, count), tornBytes: data.length - end };
  }

  /** Batches one after another as one (copies their bytes once, unless only one has lines). */
  static concat(batches: readonly LineBatch[]): LineBatch {
    const nonEmpty = batches.filter((b) => b.count > 0);
    if (nonEmpty.length <= 1) return nonEmpty[0] ?? LineBatch.empty;
    const builder = new LineBatchBuilder(nonEmpty.reduce((sum, b) => sum + b.byteLength, 0));
    for (const b of nonEmpty) builder.addBatch(b);
    return builder.take();
  }

  /** Bytes of all lines, newlines included (each line's length + 1). */
  get byteLength(): number {
    return this.count === 0 ? 0 : this.endOf(this.count - 1) - this.startOf(0);
  }

  /** The whole buffer the lines are in, shared with every slice (for LineBatchBuilder.recycle). */
  get buffer(): Buffer {
    return this.data;
  }

  /** Bytes of line i, its newline included. */
  lineBytes(i: number): number {
    return this.endOf(i) - this.startOf(i);
  }

  /** The lines as a file holds them: each ends in `\n`. Shares this batch's memory. */
  bytes(): Buffer {
    return this.count === 0 ? Buffer.alloc(0) : this.data.subarray(this.startOf(0), this.endOf(this.count - 1));
  }

  /** The lines as a request body: separated by `\n`, none after the last (as `lines.join('\n')`). */
  body(): Buffer {
    return this.count === 0 ? Buffer.alloc(0) : this.data.subarray(this.startOf(0), this.endOf(this.count - 1) - 1);
  }

  /** Lines from..to (exclusive), sharing this batch's memory. */
  slice(from: number, to = this.count): LineBatch {
    const start = Math.max(0, Math.min(from, this.count));
    const end = Math.max(start, Math.min(to, this.count));
    return new LineBatch(this.data, this.ends, this.first + start, end - start);
  }

  /** A batch of its own memory: keeping it does not keep the (larger) buffer this one shares. */
  copy(): LineBatch {
    const builder = new LineBatchBuilder(this.byteLength);
    builder.addBatch(this);
    return builder.take();
  }

  /**
   * Copy the lines into `data` at `at` and their ends, shifted to there, into `ends` from `endsAt`;
   * returns the offset after them (LineBatchBuilder.addBatch).
   */
  copyInto(data: Buffer, at: number, ends: Uint32Array, endsAt: number): number {
    const start = this.startOf(0);
    this.data.copy(data, at, start, this.endOf(this.count - 1));
    const shift = at - start;
    for (let i = 0; i < this.count; i += 1) ends[endsAt + i] = this.ends[this.first + i]! + shift;
    return at + this.byteLength;
  }

  /** Line i as text, without its newline. */
  line(i: number): string {
    return this.data.toString('latin1', this.startOf(i), this.endOf(i) - 1);
  }

  lines(): string[] {
    const out = new Array<string>(this.count);
    for (let i = 0; i < this.count; i += 1) out[i] = this.line(i);
    return out;
  }

  /** The timestamp ending line i (see timestampOfLine), read from its digits without a string. */
  timestamp(i: number): number {
    const start = this.startOf(i);
    let at = this.endOf(i) - 2;
    let value = 0;
    let scale = 1;
    for (; at >= start && scale <= 1e15; at -= 1) {
      const digit = this.data[at]! - 48;
      if (digit < 0 || digit > 9) break;
      value += digit * scale;
      scale *= 10;
    }
    if (at >= start && scale > 1 && scale <= 1e15 && this.data[at] === 32) return value;
    // Anything else (a fraction, remote write's sample lines): the string way.
    return timestampOfLine(this.line(i));
  }

  private startOf(i: number): number {
    const k = this.first + i;
    return k === 0 ? 0 : this.ends[k - 1]!;
  }

  private endOf(i: number): number {
    return this.ends[this.first + i]!;
  }
}

/**
 * Collects lines into one buffer; `take` hands them out as a batch and starts over, `view` and
 * `dropFirst` use it in place. Fresh memory is dear (on this project's VMs a page fault per 4 KiB
 * made a new buffer cost about 50 times what filling a used one does), so buffers come from the
 * process-wide pool (buffer-pool.ts) and go back there by `recycle` of a batch nobody reads anymore
 * (or from the disk spool, which keeps a handed-over batch as it is until it is written).
 */
export class LineBatchBuilder {
  /** Taken at the first line after a take: a builder that gets nothing holds nothing. */
  private data: Buffer | undefined;
  private ends: Uint32Array = new Uint32Array(0);
  private used = 0;
  private lineCount = 0;
  /** A `view` of the buffer is out (being written): when it grows, the old one is not given back. */
  private lent = false;

  /** `expectBytes`: the first buffer's size; later ones are sized after the last batch taken. */
  constructor(
    private expectBytes = 64 * 1024,
    private readonly pool: BufferPool = bufferPool,
  ) {}

  get count(): number {
    return this.lineCount;
  }

  /** Bytes added since the last take. */
  get byteLength(): number {
    return this.used;
  }

  /** Append one line (latin-1, no newline in it). */
  add(line: string): void {
    const data = this.room(line.length + 1, 1);
    this.used += (data as Latin1Buffer).latin1Write(line, this.used);
    data[this.used] = NEWLINE;
    this.used += 1;
    this.ends[this.lineCount] = this.used;
    this.lineCount += 1;
  }

  /** Append a batch's lines (one copy of their bytes). */
  addBatch(batch: LineBatch): void {
    if (batch.count === 0) return;
    const data = this.room(batch.byteLength, batch.count);
    this.used = batch.copyInto(data, this.used, this.ends, this.lineCount);
    this.lineCount += batch.count;
  }

  /**
   * The lines added so far, sharing the buffer: valid until `dropFirst` or `release` (adding
   * more only writes after them).
   */
  view(): LineBatch {
    this.lent = this.data !== undefined;
    return this.data === undefined ? LineBatch.empty : LineBatch.over(this.data, this.ends, this.lineCount);
  }

  /** Forget the first `count` lines (written out); the buffer stays for the next ones. */
  dropFirst(count: number): void {
    if (count <= 0 || this.data === undefined) return;
    // Called once the view's lines are written: nobody reads the buffer through it any more.
    this.lent = false;
    if (count >= this.lineCount) {
      this.used = 0;
      this.lineCount = 0;
      return;
    }
    const cut = this.ends[count - 1]!;
    this.data.copyWithin(0, cut, this.used);
    for (let i = count; i < this.lineCount; i += 1) this.ends[i - count] = this.ends[i]! - cut;
    this.used -= cut;
    this.lineCount -= count;
  }

  /**
   * Forget every line and the buffer (a segment that will get no more lines); returns the buffer,
   * for the caller to give to the pool once no write of it can still be running.
   */
  release(): Buffer | undefined {
    const buffer = this.data;
    this.data = undefined;
    this.lent = false;
    this.ends = new Uint32Array(0);
    this.used = 0;
    this.lineCount = 0;
    return buffer;
  }

  /**
   * Hand back a batch this builder took, once nothing reads it any more (its request was answered):
   * its buffer goes to the pool for the next lines. Not for a batch whose bytes may still be queued
   * on a socket (a request that failed or timed out), nor one handed to the spool.
   */
  recycle(batch: LineBatch | Buffer): void {
    const buffer = batch instanceof LineBatch ? batch.buffer : batch;
    if (buffer !== this.data) this.pool.give(buffer);
  }

  /** The lines added since the last take, as a batch (their buffer is the batch's from now on). */
  take(): LineBatch {
    if (this.lineCount === 0 || this.data === undefined) return LineBatch.empty;
    const batch = LineBatch.over(this.data, this.ends, this.lineCount);
    // The next batch is likely about the same size: start there instead of growing again.
    this.expectBytes = Math.max(1024, this.used + (this.used >> 3));
    this.data = undefined;
    this.lent = false;
    this.ends = new Uint32Array(0);
    this.used = 0;
    this.lineCount = 0;
    return batch;
  }

  /** The buffer, with room for `bytes` more bytes and `lines` more line ends. */
  private room(bytes: number, lines: number): Buffer {
    let data = this.data;
    if (data === undefined || this.used + bytes > data.length) {
      const size = Math.max(this.used + bytes, this.expectBytes, 2 * (data?.length ?? 0));
      const grownData = this.pool.take(size);
      data?.copy(grownData, 0, 0, this.used);
      // Unless a view of it may be being written out (DiskSpool.writeOut), the old buffer serves again.
      if (data !== undefined && !this.lent) this.pool.give(data);
      data = this.data = grownData;
    }
    if (this.lineCount + lines > this.ends.length)
      this.ends = grown(this.ends, Math.max(this.lineCount + lines, this.expectBytes >> 6));
    return data;
  }
}

/**
 * Node's Buffer has had `latin1Write(string, offset)` since its start (what `write(…, 'latin1')` ends
 * in); untyped, but called directly it skips `write`'s argument and encoding handling, which cost
 * about as much per line as the copy itself.
 */
interface Latin1Buffer extends Buffer {
  latin1Write(text: string, offset: number): number;
}

function grown(ends: Uint32Array, need: number): Uint32Array {
  const out = new Uint32Array(Math.max(need, 2 * ends.length));
  out.set(ends);
  return out;
}
