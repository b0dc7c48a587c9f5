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

/** Refused, unreachable, DNS, TLS, reset: every error is a down device, never a crash. */
export function failed(error: NodeJS.ErrnoException): ProbeResult {
  return { up: false, reason: error.code ?? error.message };
}

/**
 * One probe attempt. `start` opens its connection (at `startedMs` on the monotonic clock), calls
 * `finish` with what it found, and returns how to close the connection. The timeout ("no <what> within
 * N s") and the abort signal ("stopped") finish it too; the first finish wins and closes at once, so
 * no socket outlives its answer.
 */
export function probeAttempt(
  what: string,
  timeoutMs: number,
  signal: AbortSignal,
  start: (finish: (result: ProbeResult) => void, startedMs: number) => () => void,
): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let close: (() => void) | undefined;
    let done: ProbeResult | undefined;
    const finish = (result: ProbeResult) => {
      if (done !== undefined) return;
      done = result;
      clearTimeout(timer);
      signal.removeEventListener('abort', abort);
      close?.();
      resolve(result);
    };
    const abort = () => finish({ up: false, reason: 'stopped' });
    // An already aborted signal fires no event: stopped before anything is opened.
    if (signal.aborted) return resolve({ up: false, reason: 'stopped' });
    signal.addEventListener('abort', abort, { once: true });
    const timer = setTimeout(() => finish({ up: false, reason: `no ${what} within ${timeoutMs / 1000} s` }), timeoutMs);
    close = start(finish, monotonicMs());
    // Finished while starting (an error emitted at once): close what start opened.
    if (done !== undefined) close();
  });
}
