import type { Writable } from 'node:stream';
import { constantTextMark, SKIP_CONSTANT_TEXT, type ConstantTextMark } from './node-exposition.ts';

/** Longest stretch a scrape holds the event loop before letting ingest and other requests run. */
export const SCRAPE_SLICE_MS = 5;

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Where a scrape's chunks go: the response itself, or a compressor (spliced-gzip.ts). */
export interface SliceSink {
  write(chunk: Buffer): void;
  /** A slice ends: the event loop turns next (a compressor hands on what it has gathered). */
  pause?(): void;
  /** At each mark of the constant text; at the start, true when the sink has it already (the renderer skips it). */
  constantText?(mark: ConstantTextMark): boolean;
}

/** `out` as a sink; each chunk it has written goes to `recycle` (node-exposition.ts reuses its memory). */
export function writableSink(out: Writable, recycle?: (chunk: Buffer) => void): SliceSink {
  return {
    write:
      recycle === undefined
        ? (chunk) => out.write(chunk)
        : // Not after an error: a destroyed stream may still be reading it.
          (chunk) => out.write(chunk, (error) => error == null && recycle(chunk)),
  };
}

/**
 * Writes the chunks a renderer produces (bridge/expose/node-exposition.ts) to `sink`, pulling the next
 * ones only after a turn of the event loop once `sliceMs` have passed: a 50 000-node scrape is a few
 * hundred short slices, and reports that arrive meanwhile are taken in between. Stops early, without
 * error, once `gone()` says the client left. Nothing waits on the client (the body is buffered as
 * `res.send` did), so a stalled scraper cannot hold a render open. A sink that has the constant text
 * already (its `constantText` says so at the start mark) makes the renderer skip it.
 */
export async function writeInSlices(
  chunks: Iterable<readonly Buffer[], void, boolean | undefined>,
  sink: SliceSink,
  gone: () => boolean,
  sliceMs: number = SCRAPE_SLICE_MS,
  clock: () => number = performance.now.bind(performance),
): Promise<boolean> {
  const it = chunks[Symbol.iterator]();
  let sliceStart = clock();
  let answer: boolean | undefined;
  for (;;) {
    const next = it.next(answer);
    if (next.done === true) return true;
    const ready = next.value;
    answer = undefined;
    const mark = ready.length === 0 ? constantTextMark(ready) : undefined;
    if (mark !== undefined && sink.constantText?.(mark) === true && mark.edge === 'start') answer = SKIP_CONSTANT_TEXT;
    for (const chunk of ready) sink.write(chunk);
    if (clock() - sliceStart >= sliceMs) {
      sink.pause?.();
      await turn();
      if (gone()) {
        it.return?.();
        return false;
      }
      sliceStart = clock();
    }
  }
}
