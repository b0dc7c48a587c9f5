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

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(now: number, periodMs: number): void {
    this.periodMs = periodMs;
    this.due = now + periodMs;
    this.timer = setTimeout(this.fire, periodMs);
    this.timer.unref();
  }

  private readonly fire = (): void => {
    const now = performance.now();
    this.options.late?.(now - this.due);
    this.running = true;
    try {
      this.options.run();
    } finally {
      this.running = false;
    }
    if (!this.stopped) this.arm(now, this.options.busy() ? this.options.busyMs : this.options.idleMs);
  };
}
