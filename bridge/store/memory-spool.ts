import { bufferPool } from './buffer-pool.ts';
import { LineBatch } from './line-batch.ts';
import { timestampOfLine } from './line-protocol.ts';
import { spoolBatchOfLines, type DropListener, type Spool, type SpoolBatch, type SpoolStats } from './spool.ts';

/**
 * The spool without `--spool-dir`: the same bounded, ordered queue, in memory. A restart loses it,
 * which the bridge says at start-up and counts at shutdown.
 */
export class MemorySpool implements Spool {
  readonly description: string;
  readonly durable = false;
  private lines: string[] = [];
  private head = 0;
  // Absolute number of lines[0], so an ack for lines dropped meanwhile is recognised and ignored.
  private base = 0;
  private bytes = 0;
  // Monotonic queue of (absolute index, timestamp) with rising timestamps: its front is the minimum.
  private minima: Array<{ index: number; t: number }> = [];
  private minHead = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly onDrop: DropListener = () => {},
  ) {
    this.description = `memory (at most ${maxBytes} bytes)`;
  }

  append(given: LineBatch | readonly string[], owned = false): void {
    // Kept as strings: without a spool directory this queue fills only in an outage or behind a slow
    // database, bounded by its byte limit; a drained batch is encoded again (SpoolBatch.batch).
    const lines = given instanceof LineBatch ? given.lines() : given;
    // Decoded: a handed-over buffer is read by no one any more.
    if (owned && given instanceof LineBatch && given.count > 0) bufferPool.give(given.buffer);
    for (const line of lines) {
      const index = this.base + this.lines.length;
      const t = timestampOfLine(line);
      while (this.minima.length > this.minHead && this.minima[this.minima.length - 1]!.t >= t) this.minima.pop();
      this.minima.push({ index, t });
      this.lines.push(line);
      this.bytes += line.length + 1;
    }
    let drop = 0;
    while (this.bytes > this.maxBytes && this.head < this.lines.length) {
      this.advance();
      drop += 1;
    }
    if (drop > 0) {
      this.compact();
      this.onDrop(drop);
    }
  }

  async sync(): Promise<void> {}

  async read(maxLines: number): Promise<SpoolBatch | undefined> {
    if (this.head >= this.lines.length) return undefined;
    const lines = this.lines.slice(this.head, this.head + maxLines);
    const start = this.base + this.head;
    return spoolBatchOfLines(lines, { segment: 0, start, end: start + lines.length });
  }

  ack(batch: SpoolBatch): void {
    if (batch.position.start !== this.base + this.head) return;
    while (this.base + this.head < batch.position.end) this.advance();
    this.compact();
  }

  stats(): SpoolStats {
    return { bytes: this.bytes, points: this.lines.length - this.head, oldestTimestamp: this.minima[this.minHead]?.t };
  }

  async close(): Promise<void> {}

  private advance(): void {
    this.bytes -= this.lines[this.head]!.length + 1;
    if (this.minima[this.minHead]?.index === this.base + this.head) this.minHead += 1;
    this.head += 1;
  }

  private compact(): void {
    // Shift the array only now and then: slicing on every ack would make draining quadratic.
    if (this.head > 4096 && this.head * 2 > this.lines.length) {
      this.base += this.head;
      this.lines = this.lines.slice(this.head);
      this.head = 0;
      this.minima = this.minima.slice(this.minHead);
      this.minHead = 0;
    }
  }
}
