import { vi } from 'vitest';

/**
 * With vi.useFakeTimers on: advance the fake clock `stepMs` at a time (running the timers and the
 * promise callbacks they start) until `check` holds. The bound is fake time, so the machine's load
 * cannot make it pass or fail; a real hang (a wait no timer ends) fails after `limitMs` fake ms,
 * which takes well under a second of wall time. Returns the fake ms it took.
 */
export async function advanceUntil(what: string, check: () => boolean, limitMs = 10_000, stepMs = 1): Promise<number> {
  let elapsed = 0;
  // Promise callbacks already queued (no timer needed) count as "at once".
  await vi.advanceTimersByTimeAsync(0);
  while (!check()) {
    if (elapsed >= limitMs) throw new Error(`Still waiting for ${what} after ${limitMs} ms of fake time`);
    await vi.advanceTimersByTimeAsync(stepMs);
    elapsed += stepMs;
  }
  return elapsed;
}

/** `advanceUntil` the promise settles; then its value (or its rejection). */
export async function advanceUntilSettled<T>(what: string, promise: Promise<T>, limitMs = 10_000): Promise<T> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await advanceUntil(what, () => settled, limitMs);
  return promise;
}
