/** What one probe found: the device answered in `rttSeconds`, or did not, and why. */
export type ProbeResult = { readonly up: true; readonly rttSeconds: number } | { readonly up: false; readonly reason: string };

/** Milliseconds of a monotonic clock: a wall-clock step never makes a round trip negative. */
export function monotonicMs(): number {
  return performance.now();
}
