const NEWLINE = 0x0a;

export interface LineSink {
  /** A complete line without its `\n` (a trailing `\r` is left for the parser to strip). */
  line(text: string): void;
  /** A line longer than the limit was discarded; `bytes` counts what was thrown away so far. */
  overlong(bytes: number): void;
}

/**
 * Bytes -> lines, across arbitrary packet splits, with a hard memory bound: a line longer than
 * `maxLineBytes` is discarded up to its newline (reported once) and framing resumes after it, so one
 * runaway agent cannot make the bridge buffer without limit nor lose the connection's next lines.
 *
 * The hot path is a line wholly inside one chunk: one native newline search and one latin1 decode
 * straight from the chunk, no intermediate Buffer and no closure. Each line is its own string on
 * purpose: slicing one string decoded per chunk is faster, but every slice (and every name or key
 * the parser slices from it) would keep the whole 64 KB chunk alive for as long as the node table
 * holds it.
 */
/** Never pushed to: a connection holds an array of its own only while a line spans chunks (32 bytes each). */
const NO_PENDING: readonly Buffer[] = [];

export class LineSplitter {
  private pending = NO_PENDING;
  private pendingBytes = 0;
  private discarding = false;
  private discardedBytes = 0;
  private stopped = false;

  constructor(private readonly maxLineBytes: number) {}

  /** Bytes held while waiting for a newline. */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  /**
   * Frame `chunk` from byte `from` on. Returns where framing stopped: `chunk.length` once the whole
   * chunk is framed (its unfinished tail held), or the offset just after the line during which the
   * sink called `stop()`; nothing from there on has been looked at, so pushing the rest later (from
   * that offset) continues exactly where it left off.
   */
  push(chunk: Buffer, sink: LineSink, from = 0): number {
    const length = chunk.length;
    let start = from;
    this.stopped = false;
    while (start < length) {
      const nl = chunk.indexOf(NEWLINE, start);
      if (nl < 0) {
        this.take(chunk, start, length, sink);
        return length;
      }
      if (this.pendingBytes === 0 && !this.discarding) {
        // The whole line is in this chunk.
        if (nl - start > this.maxLineBytes) sink.overlong(nl - start);
        // latin1 maps every byte to one char, so the parser sees (and rejects) non-ASCII bytes as they are.
        else sink.line(chunk.toString('latin1', start, nl));
      } else {
        this.take(chunk, start, nl, sink);
        this.endLine(sink);
      }
      start = nl + 1;
      if (this.stopped) {
        this.stopped = false;
        return start;
      }
    }
    return length;
  }

  /** Called by a sink from `line()`: the current `push` returns right after this line. */
  stop(): void {
    this.stopped = true;
  }

  /**
   * The peer closed its side: a final line without `\n` still counts (`echo -n ... | nc` is common).
   */
  end(sink: LineSink): void {
    if (this.pendingBytes > 0) this.endLine(sink);
    this.discarding = false;
    this.discardedBytes = 0;
    this.stopped = false;
  }

  private take(chunk: Buffer, start: number, end: number, sink: LineSink): void {
    const length = end - start;
    if (length === 0) return;
    if (this.discarding) {
      this.discardedBytes += length;
      return;
    }
    if (this.pendingBytes + length > this.maxLineBytes) {
      this.discarding = true;
      this.discardedBytes = this.pendingBytes + length;
      this.pending = NO_PENDING;
      this.pendingBytes = 0;
      sink.overlong(this.discardedBytes);
      return;
    }
    // Copy: the socket may reuse the chunk's memory after this callback returns.
    const copy = Buffer.from(chunk.subarray(start, end));
    if (this.pending === NO_PENDING) this.pending = [copy];
    else (this.pending as Buffer[]).push(copy);
    this.pendingBytes += length;
  }

  private endLine(sink: LineSink): void {
    if (this.discarding) {
      this.discarding = false;
      this.discardedBytes = 0;
      return;
    }
    const bytes = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = NO_PENDING;
    this.pendingBytes = 0;
    sink.line(bytes.toString('latin1'));
  }
}
