/** A running periodic task. */
export interface Schedule {
  /** No further ticks; resolves once a tick in progress has finished. */
  stop(): Promise<void>;
}

export interface ScheduleClock {
  /** Wall clock, ms; default Date.now. */
  readonly now?: () => number;
  /** The wall clock went back further than the schedule waits out; tick times restart from it. */
  readonly onClockBack?: (ms: number) => void;
}

/**
 * A clock set back by up to this much (beyond one interval) is waited out, so tick times keep
 * increasing; further back, that would be that long without a report, so the schedule follows it.
 */
export const MAX_CLOCK_WAIT_MS = 30_000;

/**
 * Call `tick(at)` at every multiple of `intervalMs` of the wall clock (10 s → :00, :10, :20), so
 * reports of all nodes carry the same timestamps and line up in graphs. `at` is the boundary the
 * tick belongs to, not the time the timer fired: a timer fires a little early or late by the wall
 * clock (it runs on the monotonic clock, which NTP slews against), and a report stamped with the
 * floored wall-clock time of an early tick carried the previous boundary's second, overwriting that
 * report downstream. `at` strictly increases by whole intervals, unless the clock is set back more
 * than MAX_CLOCK_WAIT_MS (then `onClockBack`). A tick that overruns skips the boundaries it missed
 * instead of queueing up behind itself.
 */
export function startSchedule(
  intervalMs: number,
  tick: (at: number) => Promise<void>,
  clock: ScheduleClock = {},
): Schedule {
  const now = clock.now ?? Date.now;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  // Index (time / intervalMs) of the last boundary ticked; -Infinity before the first.
  let last = Number.NEGATIVE_INFINITY;

  const arm = () => {
    if (stopped) return;
    const t = now();
    let next = Math.floor(t / intervalMs) + 1;
    if (next <= last) {
      // An early timer (next === last) or a clock set back: wait for the boundary after the last
      // one ticked, unless that is much longer than an interval away.
      const waitMs = (last + 1) * intervalMs - t;
      if (waitMs <= intervalMs + MAX_CLOCK_WAIT_MS) next = last + 1;
      else clock.onClockBack?.(last * intervalMs - t);
    }
    timer = setTimeout(() => fire(next), Math.max(0, next * intervalMs - t));
  };
  const fire = (scheduled: number) => {
    // Fired late (event loop blocked): the boundary just passed, so the stamp stays close to the reading.
    const index = Math.max(scheduled, Math.floor(now() / intervalMs));
    last = index;
    // tick() handles its own errors; the catch only keeps a bug from becoming an unhandled rejection.
    running = tick(index * intervalMs)
      .catch(() => {})
      .finally(() => {
        running = undefined;
        arm();
      });
  };
  arm();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
