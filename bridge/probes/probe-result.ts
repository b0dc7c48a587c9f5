/** What one probe found: the device answered in `rttSeconds`, or did not, and why. */
export type ProbeResult =
  { readonly up: true; readonly rttSeconds: number } | { readonly up: false; readonly reason: string };

/** Milliseconds of a monotonic clock: a wall-clock step never makes a round trip negative. */
export function monotonicMs(): number {
  return performance.now();
}

/**
 * An answer after `elapsedMs`. Up only within the timeout: on a busy event loop the answer can be
 * handled before the timeout's timer although it came later, and "up" means "answered in time".
 */
export function answered(elapsedMs: number, timeoutMs: number, what: string): ProbeResult {
  return elapsedMs <= timeoutMs
    ? { up: true, rttSeconds: elapsedMs / 1000 }
    : { up: false, reason: `no ${what} within ${timeoutMs / 1000} s` };
}
