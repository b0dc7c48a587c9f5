/** Thrown by a `waitFor` check when waiting longer is pointless (the process it waits on died). */
export class GaveUp extends Error {}

/**
 * Poll `check` until it returns a truthy value or the deadline passes (then throw with `what`); a check
 * that throws `GaveUp` ends the wait at once. The deadline is on the monotonic clock, so a test that
 * fakes `Date` still times out.
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
      if (error instanceof GaveUp) throw error;
      last = error;
    }
    if (performance.now() > deadline)
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
