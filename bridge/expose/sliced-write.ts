import type { Writable } from 'node:stream';

/** Longest stretch a scrape holds the event loop before letting ingest and other requests run. */
export const SCRAPE_SLICE_MS = 5;

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Writes the chunks a renderer produces (bridge/expose/node-exposition.ts) to `out`, pulling the next
 * ones only after a turn of the event loop once `sliceMs` have passed: a 50 000-node scrape is a few
 * hundred short slices, and reports that arrive meanwhile are taken in between. Stops early, without
 * error, once `gone()` says the client left. Nothing waits on the client (the body is buffered as
 * `res.send` did), so a stalled scraper cannot hold a render open. Each chunk `out` has written is given
 * to `recycle` (node-exposition.ts reuses its memory for a later chunk).
 */
export async function writeInSlices(
  chunks: Iterable<readonly Buffer[]>,
  out: Writable,
  gone: () => boolean,
  sliceMs: number = SCRAPE_SLICE_MS,
  clock: () => number = performance.now.bind(performance),
  recycle?: (chunk: Buffer) => void,
): Promise<boolean> {
  let sliceStart = clock();
  for (const ready of chunks) {
    for (const chunk of ready)
      if (recycle === undefined) out.write(chunk);
      // Not after an error: a destroyed zlib stream may still be reading it in the thread pool.
      else out.write(chunk, (error) => error == null && recycle(chunk));
    if (clock() - sliceStart >= sliceMs) {
      await turn();
      if (gone()) return false;
      sliceStart = clock();
    }
  }
  return true;
}
