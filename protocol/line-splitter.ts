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
 */
export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private discarding = false;
  private discardedBytes = 0;

  constructor(private readonly maxLineBytes: number) {}

  /** Bytes held while waiting for a newline. */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  push(chunk: Buffer, sink: LineSink): void {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(NEWLINE, start);
      const end = nl < 0 ? chunk.length : nl;
      this.take(chunk, start, end, sink);
      if (nl < 0) return;
      this.endLine(sink);
      start = nl + 1;
    }
  }

  /**
   * The peer closed its side: a final line without `\n` still counts (`echo -n ... | nc` is common).
   */
  end(sink: LineSink): void {
    if (this.pendingBytes > 0) this.endLine(sink);
    this.discarding = false;
    this.discardedBytes = 0;
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
      this.pending = [];
      this.pendingBytes = 0;
      sink.overlong(this.discardedBytes);
      return;
    }
    // Copy: the socket may reuse the chunk's memory after this callback returns.
    this.pending.push(Buffer.from(chunk.subarray(start, end)));
    this.pendingBytes += length;
  }

  private endLine(sink: LineSink): void {
    if (this.discarding) {
      this.discarding = false;
      this.discardedBytes = 0;
      return;
    }
    const bytes = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    // latin1 maps every byte to one char, so the parser sees (and rejects) non-ASCII bytes as they are.
    sink.line(bytes.toString('latin1'));
  }
}
