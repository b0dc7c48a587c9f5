/** How the bridge's periodic work is timed (BridgeTick). */
export interface BridgeTickOptions {
  /** Period while something can change by time alone (nodes known, events to age, outputs to watch). */
  readonly busyMs: number;
  /** Period otherwise: nothing can go stale, so the tick only samples the event-loop lag. */
  readonly idleMs: number;
  /** Whether the next run must come after busyMs; asked at start and after each run. */
  readonly busy: () => boolean;
  /** The periodic work: sweeps, reconciles, prunes. */
  readonly run: () => void;
  /** How late (ms) each run fired: the event-loop lag sample (lib/runtime-metrics.ts). */
  readonly late?: (lateMs: number) => void;
}

/** A period with more than this many packets (ride() calls) counts as steady: the next runs ride on them. */
const STEADY_PACKETS = 4;
/**
 * While riding, the timer only guards, every this many periods: it samples the lag and, should the
 * packets stop, takes the runs back. Moving a Node.js timer later does not move the wake-up it had
 * armed (the list keeps its expiry), so a guard that is never moved is the only timer that does not wake.
 */
const GUARD_PERIODS = 5;

/**
 * The one timer of an idle bridge. An idle process's CPU is its wake-ups (bench/runtime-cost.ts: one
 * empty 1 s timer costs ~0.1 % of a core), so every periodic task of the bridge runs from this tick,
 * which comes every busyMs while there is something to do and every idleMs when nothing can change by
 * time (no node known: nothing goes stale, down or forgotten). `wake()` brings it back to busyMs at
 * once when that changes (a node appears). Unref'd: it never keeps the process alive.
 *
 * Under a steady fleet the process wakes for packets anyway (docs/benchmarks.md, the LAMOST fleet), so
 * once a period has brought more than STEADY_PACKETS of them the runs ride on packets (`ride()`: the first packet
 * a period after the last run) and the timer, armed once for GUARD_PERIODS periods, only guards: one
 * wake-up of its own every 5 s instead of every second. If the packets thin out, the runs go back to
 * the timer; if they stop, the guard takes over, so a run comes at most GUARD_PERIODS periods late
 * (only the events of nodes going down by time wait for it: the API and /metrics judge liveness when read).
 */
export class BridgeTick {
  private timer: NodeJS.Timeout | undefined;
  private periodMs = 0;
  private due = 0;
  private stopped = false;
  private running = false;
  /** The runs ride on packets; the timer is the guard. */
  private riding = false;
  /** Date.now() of the last run, and the packets seen since. */
  private lastRunWall = 0;
  private packets = 0;
  private lastPacketWall = 0;

  constructor(private readonly options: BridgeTickOptions) {
    this.arm(performance.now(), options.busy() ? options.busyMs : options.idleMs);
  }

  /** Whether the tick runs at busyMs now. */
  get busy(): boolean {
    return this.periodMs === this.options.busyMs;
  }

  /** Something can now change by time (a node appeared): run busyMs from now, then at that pace. */
  wake(): void {
    // During a run the re-arm after it asks busy() anyway.
    if (this.stopped || this.running || this.busy) return;
    clearTimeout(this.timer);
    this.arm(performance.now(), this.options.busyMs);
  }

  /** An agent's packet arrived at `nowMs` (Date.now(), which the caller has read): the process is awake anyway. */
  ride(nowMs: number): void {
    this.packets += 1;
    this.lastPacketWall = nowMs;
    if (!this.riding || this.running || this.stopped || nowMs - this.lastRunWall < this.periodMs) return;
    if (this.packets > STEADY_PACKETS) {
      this.run(nowMs);
      return;
    }
    // Thinned out: this run is due, the next ones are the timer's again.
    this.riding = false;
    clearTimeout(this.timer);
    this.run(nowMs);
    if (!this.stopped) this.arm(performance.now(), this.nextPeriod());
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(now: number, periodMs: number, timerMs = periodMs): void {
    this.periodMs = periodMs;
    this.due = now + timerMs;
    this.timer = setTimeout(this.fire, Math.max(0, timerMs));
    this.timer.unref();
  }

  private readonly fire = (): void => {
    const now = performance.now();
    const wall = Date.now();
    this.options.late?.(now - this.due);
    const period = this.periodMs;
    // A guard that finds a ride ran within the period has nothing to run; it goes on guarding while the
    // packets still come (one within the last quarter period), else the timer takes the runs back.
    const ran = this.riding && wall - this.lastRunWall < period;
    const steady = this.riding ? wall - this.lastPacketWall <= period / 4 : this.packets > STEADY_PACKETS;
    if (!ran) this.run(wall);
    if (this.stopped) return;
    const next = this.nextPeriod();
    this.riding = steady && next === this.options.busyMs;
    this.arm(now, next, this.riding ? next * GUARD_PERIODS : next);
  };

  private nextPeriod(): number {
    return this.options.busy() ? this.options.busyMs : this.options.idleMs;
  }

  private run(wall: number): void {
    this.lastRunWall = wall;
    this.packets = 0;
    this.running = true;
    try {
      this.options.run();
    } finally {
      this.running = false;
    }
  }
}
