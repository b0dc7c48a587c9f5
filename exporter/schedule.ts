/** A running periodic task. */
export interface Schedule {
  /** No further ticks; resolves once a tick in progress has finished. */
  stop(): Promise<void>;
}

/**
 * Call `tick` at every multiple of `intervalMs` of the wall clock (10 s → :00, :10, :20), so reports
 * of all nodes carry the same timestamps and line up in graphs. A tick that overruns skips the
 * boundaries it missed instead of queueing up behind itself.
 */
export function startSchedule(intervalMs: number, tick: () => Promise<void>, now: () => number = Date.now): Schedule {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  let last = 0;

  const arm = () => {
    if (stopped) return;
    const t = now();
    let next = Math.floor(t / intervalMs) + 1;
    // A timer may fire a hair early by the wall clock: never tick twice for one boundary. (No
    // max(last + 1) here: after the clock is set back an hour, that would mean an hour of silence.)
    if (next === last) next += 1;
    last = next;
    timer = setTimeout(fire, next * intervalMs - t);
  };
  const fire = () => {
    // tick() handles its own errors; the catch only keeps a bug from becoming an unhandled rejection.
    running = tick().catch(() => {}).finally(() => {
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
