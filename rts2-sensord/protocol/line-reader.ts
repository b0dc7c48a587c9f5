import { LineSplitter } from '../../protocol/line-splitter.ts';
import { decodeLine, type Rts2Line } from './decode.ts';

/** RTS2 sets no line limit (docs/rts2-wire.md §2); real lines stay far below this, hostile ones do not. */
export const DEFAULT_MAX_LINE_BYTES = 64 * 1024;

export interface Rts2LineSink {
  line(line: Rts2Line, raw: string): void;
  /** A line over the limit was thrown away; the connection goes on with the next one. */
  overlong?(bytes: number): void;
}

/**
 * Bytes -> decoded RTS2 lines: `\n` ends a line, a trailing `\r` is dropped, blank lines are
 * skipped (`Connection::processBuffer`; real devices send empty lines after `F` blocks). A final
 * line without `\n` is never processed, as in RTS2.
 */
export class Rts2LineReader {
  private readonly splitter: LineSplitter;

  constructor(
    private readonly sink: Rts2LineSink,
    maxLineBytes = DEFAULT_MAX_LINE_BYTES,
  ) {
    this.splitter = new LineSplitter(maxLineBytes);
  }

  push(chunk: Buffer): void {
    this.splitter.push(chunk, {
      line: (text) => {
        const raw = text.endsWith('\r') ? text.slice(0, -1) : text;
        if (raw.trim() === '') return;
        this.sink.line(decodeLine(raw), raw);
      },
      overlong: (bytes) => this.sink.overlong?.(bytes),
    });
  }
}
