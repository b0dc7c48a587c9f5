/**
 * Poll `check` until it returns a truthy value or the deadline passes (then throw with `what`). The
 * deadline is on the monotonic clock, so a test that fakes `Date` still times out.
 */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs = 5000,
  everyMs = 20,
): Promise<NonNullable<T>> {
  const deadline = performance.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as NonNullable<T>;
    } catch (error) {
      last = error;
    }
    if (performance.now() > deadline)
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

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
