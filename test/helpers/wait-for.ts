export { GaveUp, waitFor } from '../../testkit/wait-for.ts';

/**
 * Yield to the real event loop (setImmediate, not a timer: those may be fake) until `check` holds;
 * bounded by rounds, not by a duration.
 */
export async function settle(what: string, check: () => boolean | Promise<boolean>, rounds = 20_000): Promise<void> {
  for (let i = 0; i < rounds; i += 1) {
    if (await check()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`not settled: ${what}`);
}
