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

/** A run may ride on a wake-up the bridge has anyway (a report) this much of a period before it is due. */
const RIDE_EARLY = 0.25;
/** After this many runs in a row on other wake-ups the timer fires again, for its lag sample. */
const MAX_RIDES = 9;

/**
 * The one timer of an idle bridge. An idle process's CPU is its wake-ups (bench/runtime-cost.ts: one
 * empty 1 s timer costs ~0.1 % of a core), so every periodic task of the bridge runs from this tick,
 * which comes every busyMs while there is something to do and every idleMs when nothing can change by
 * time (no node known: nothing goes stale, down or forgotten). `wake()` brings it back to busyMs at
 * once when that changes (a node appears). Unref'd: it never keeps the process alive.
 */
export class BridgeTick {
  private timer: NodeJS.Timeout | undefined;
  private periodMs = 0;
  private due = 0;
  /** `due` on the wall clock (Date.now()), which ride() is given: the caller has read it already. */
  private dueWall = 0;
  private rides = 0;
  private stopped = false;
  private running = false;

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

  /**
   * The process is awake anyway (an agent's packet, read at `nowMs` = Date.now()): run now if the tick
   * is due within a quarter of its period, and re-arm, so a fleet's steady reports carry the tick and
   * the timer's own wake-up (what the splitter does not pay) seldom comes. Every MAX_RIDES + 1-th run
   * is still the timer's, so the event-loop lag keeps being sampled (every 10 s under a steady fleet).
   */
  ride(nowMs: number): void {
    if (nowMs < this.dueWall - this.periodMs * RIDE_EARLY || this.rides >= MAX_RIDES) return;
    if (this.stopped || this.running) return;
    this.rides += 1;
    clearTimeout(this.timer);
    this.runAndArm(performance.now());
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(now: number, periodMs: number): void {
    this.periodMs = periodMs;
    this.due = now + periodMs;
    this.dueWall = Date.now() + periodMs;
    this.timer = setTimeout(this.fire, periodMs);
    this.timer.unref();
  }

  private readonly fire = (): void => {
    const now = performance.now();
    this.rides = 0;
    this.options.late?.(now - this.due);
    this.runAndArm(now);
  };

  private runAndArm(now: number): void {
    this.running = true;
    try {
      this.options.run();
    } finally {
      this.running = false;
    }
    if (!this.stopped) this.arm(now, this.options.busy() ? this.options.busyMs : this.options.idleMs);
  }
}
