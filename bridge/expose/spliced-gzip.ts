import type { Writable } from 'node:stream';
import { crc32, deflateRaw, constants as zlib } from 'node:zlib';
import { crc32Combine } from '../../lib/crc32-combine.ts';
import type { ConstantTextMark } from './node-exposition.ts';
import type { SliceSink } from './sliced-write.ts';

/** zlib.crc32 came with Node 20.15; without it /metrics falls back to one gzip stream (http.ts). */
export const splicedGzipAvailable = typeof crc32 === 'function';

/** Deflate, no file name or time, fastest level (XFL 4), Unix: what zlib's gzip at level 1 writes. */
const HEADER = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 3]);
/** Bytes gathered before they go to the thread pool (a slice's end hands them on sooner). */
const PIECE_BYTES = 256 * 1024;
/** Output room per deflate call: one call of the thread pool for a piece of this text (~7 % of it). */
const OUTPUT_BYTES = 64 * 1024;
const SPARE_PIECES = 8;
const spare: Buffer[] = [];

const freshPiece = () => spare.pop() ?? Buffer.allocUnsafeSlow(PIECE_BYTES);
function release(piece: Buffer): void {
  if (spare.length < SPARE_PIECES) spare.push(piece);
}

/** Raw deflate of one piece, once the thread pool has it. */
interface Slot {
  bytes: Buffer | undefined;
}

/** Constant text deflated on its own: what later answers splice in instead of rendering and deflating it. */
interface Deflated {
  readonly bytes: Buffer;
  readonly crc: number;
  readonly length: number;
}
/** By the renderer's key of that text (node-exposition.ts): a changed text has a new key, the old one is dropped. */
const kept = new WeakMap<object, Deflated>();

interface Capture {
  readonly key: object;
  readonly slots: Slot[];
  crc: number;
  length: number;
}

/**
 * /metrics as one gzip member spliced from pieces deflated apart: each piece (a slice's text, at most
 * PIECE_BYTES) is a raw deflate of its own ended with a sync flush (byte-aligned, not final, no reference
 * before its start), so their concatenation is one valid deflate stream; the last ends it (Z_FINISH), and
 * the CRC-32 and length of the whole text follow. The pieces run in libuv's thread pool while the next
 * slice renders, instead of a gzip stream taking one chunk per turn of the event loop; and the constant
 * families (node-exposition.ts: info, agent info, thresholds) are deflated once and spliced in as they
 * are until their text changes, so a scrape neither renders nor compresses them.
 */
export class SplicedGzip implements SliceSink {
  private piece = freshPiece();
  private used = 0;
  private crc = 0;
  private length = 0;
  /** Deflated pieces in text order; written to `out` from the front as they come back. */
  private readonly queue: Slot[] = [];
  private capture: Capture | undefined;
  private captured: Capture | undefined;
  private closed = false;
  private finished: (() => void) | undefined;

  constructor(
    private readonly out: Writable,
    private readonly onError: (error: Error) => void,
    /** Each chunk once copied (node-exposition.ts reuses its memory). */
    private readonly recycle: (chunk: Buffer) => void = () => {},
  ) {
    out.write(HEADER);
  }

  write(chunk: Buffer): void {
    let from = 0;
    while (from < chunk.length) {
      const n = chunk.copy(this.piece, this.used, from);
      this.used += n;
      from += n;
      if (this.used === PIECE_BYTES) this.cut();
    }
    this.recycle(chunk);
  }

  pause(): void {
    this.cut();
  }

  constantText(mark: ConstantTextMark): boolean {
    this.cut();
    if (mark.edge === 'end') {
      this.captured = this.capture;
      this.capture = undefined;
      return false;
    }
    const deflated = kept.get(mark.key);
    if (deflated === undefined) {
      this.capture = { key: mark.key, slots: [], crc: 0, length: 0 };
      return false;
    }
    this.crc = crc32Combine(this.crc, deflated.crc, deflated.length);
    this.length += deflated.length;
    this.queue.push({ bytes: deflated.bytes });
    this.drain();
    return true;
  }

  /** The last of the text (the registry's own metrics); resolves once the member is written whole. */
  end(tail: string): Promise<void> {
    this.cut();
    const done = new Promise<void>((resolve) => (this.finished = resolve));
    this.deflate(Buffer.from(tail), zlib.Z_FINISH);
    return done;
  }

  /** Stops (the client left): pieces still in the thread pool are dropped when they come back. */
  destroy(): void {
    this.closed = true;
    this.out.destroy();
    this.finished?.();
  }

  private cut(): void {
    if (this.used === 0) return;
    const piece = this.piece;
    const input = piece.subarray(0, this.used);
    this.piece = freshPiece();
    this.used = 0;
    this.deflate(input, zlib.Z_SYNC_FLUSH, () => release(piece));
  }

  private deflate(input: Buffer, flush: number, done?: () => void): void {
    const crc = crc32(input);
    this.crc = crc32Combine(this.crc, crc, input.length);
    this.length += input.length;
    const slot: Slot = { bytes: undefined };
    this.queue.push(slot);
    const capture = this.capture;
    if (capture !== undefined) {
      capture.slots.push(slot);
      capture.crc = crc32Combine(capture.crc, crc, input.length);
      capture.length += input.length;
    }
    deflateRaw(input, { level: zlib.Z_BEST_SPEED, finishFlush: flush, chunkSize: OUTPUT_BYTES }, (error, bytes) => {
      done?.();
      if (this.closed) return;
      if (error !== null) {
        this.closed = true;
        this.onError(error);
        this.finished?.();
        return;
      }
      slot.bytes = bytes;
      this.drain();
    });
  }

  private drain(): void {
    const queue = this.queue;
    let front = 0;
    while (front < queue.length && queue[front]!.bytes !== undefined) this.out.write(queue[front++]!.bytes);
    queue.splice(0, front);
    if (queue.length > 0 || this.finished === undefined || this.closed) return;
    const trailer = Buffer.allocUnsafe(8);
    trailer.writeUInt32LE(this.crc, 0);
    trailer.writeUInt32LE(this.length % 2 ** 32, 4);
    this.out.end(trailer);
    this.closed = true;
    const c = this.captured;
    // Kept only once the whole answer was written: every piece of it came back.
    if (c !== undefined)
      kept.set(c.key, { bytes: Buffer.concat(c.slots.map((s) => s.bytes!)), crc: c.crc, length: c.length });
    this.finished();
  }
}
