import type { Writable } from 'node:stream';
import { crc32, createDeflateRaw, constants as zlib, type DeflateRaw } from 'node:zlib';
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
/**
 * The end of the deflate stream after the last piece's sync flush: an empty final block with fixed codes
 * (BFINAL 1, BTYPE 01, end-of-block), the two bytes zlib writes for Z_FINISH with no input left.
 */
const FINAL_BLOCK = Buffer.from([0x03, 0x00]);
const SPARE_PIECES = 8;
const spare: Buffer[] = [];

const freshPiece = () => spare.pop() ?? Buffer.allocUnsafeSlow(PIECE_BYTES);
function release(piece: Buffer): void {
  if (spare.length < SPARE_PIECES) spare.push(piece);
}

/**
 * A raw deflater kept from piece to piece and scrape to scrape, reset between two: a fresh one per piece
 * (zlib.deflateRaw) cost ~1.2 ms of the main thread each in isolation (zlib allocates its ~300 KB of state
 * at the first write and frees it at the close), a reused one ~0.15 ms. In the bridge it mostly showed
 * as wall time, not CPU (docs/benchmarks.md, the scrape target).
 */
interface Engine {
  readonly stream: DeflateRaw;
  /** Output of the piece in progress: `data` comes before the write's callback (processCallback pushes, then calls back). */
  out: Buffer[];
}
/** As many as libuv's thread pool runs at once (4 by default): more pieces in flight would wait anyway. */
const ENGINES_KEPT = 4;
const idle: Engine[] = [];

function engine(): Engine {
  const kept = idle.pop();
  if (kept !== undefined) return kept;
  // Each write ends with a sync flush: byte-aligned, not final, so pieces concatenate into one stream.
  const stream = createDeflateRaw({ level: zlib.Z_BEST_SPEED, flush: zlib.Z_SYNC_FLUSH, chunkSize: OUTPUT_BYTES });
  const made: Engine = { stream, out: [] };
  stream.on('data', (bytes: Buffer) => made.out.push(bytes));
  // The write's callback gets the error (the stream is then destroyed and not kept).
  stream.on('error', () => {});
  return made;
}

/** `input` as a raw deflate ended with a sync flush (no reference before its start), in the thread pool. */
function deflatePiece(input: Buffer, done: (error: Error | null, bytes: Buffer) => void): void {
  const e = engine();
  e.stream.write(input, (error) => {
    // Output the stream buffered instead of emitting (none while it flows): read() emits it as `data`.
    while (error == null && e.stream.readableLength > 0 && e.stream.read() !== null);
    const out = e.out;
    e.out = [];
    if (error != null) {
      e.stream.destroy();
      done(error, FINAL_BLOCK);
      return;
    }
    // The next piece starts afresh: a raw stream has no header, so reset is all that separates them.
    e.stream.reset();
    if (idle.length < ENGINES_KEPT) idle.push(e);
    else e.stream.close();
    done(null, out.length === 1 ? out[0]! : Buffer.concat(out));
  });
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
 * before its start), so their concatenation is one valid deflate stream; an empty final block ends it, and
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
    this.deflate(Buffer.from(tail));
    this.queue.push({ bytes: FINAL_BLOCK });
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
    this.deflate(input, () => release(piece));
  }

  private deflate(input: Buffer, done?: () => void): void {
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
    deflatePiece(input, (error, bytes) => {
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
