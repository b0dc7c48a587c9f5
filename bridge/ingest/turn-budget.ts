/** A connection that paused for the turn budget; resumed in its turn. */
export interface TurnWaiter {
  resumeTurn(): void;
}

export interface TurnBudgetOptions {
  /** Lines all connections together may handle in one event-loop turn. */
  readonly lines: number;
  /** ... or this long (ms) since the turn began, whichever comes first. */
  readonly ms: number;
  /** Called once per turn that ended with connections waiting (a counter). */
  readonly onYield?: () => void;
  readonly now?: () => number;
  /** Runs a function after the event loop's I/O and timers (setImmediate; a queue in unit tests). */
  readonly defer?: (run: () => void) => void;
}

/**
 * The listeners' budget: at about 2 µs a line, 2000 lines hold the event loop for a few ms, and 10 ms
 * caps a slow turn, so /healthz and /metrics wait at most a turn or two under a full flood; a busy turn
 * costs one setImmediate and a pause and resume of the few connections it cut short, a quiet one nothing.
 */
export const TURN_LINES = 2000;
export const TURN_MS = 10;

/**
 * The time cap while an HTTP answer is being written in slices (a /metrics scrape, bridge/expose/
 * sliced-write.ts): a scrape writes for 5 ms between ingest turns, so at 10 ms a turn it had a third
 * of the event loop under a flood and took three times its render; at 2 ms it has about two thirds.
 */
export const HURRIED_TURN_MS = 2;

/** Answers being written in slices now (process-wide: the HTTP side and every listener share one event loop). */
let hurried = 0;

/**
 * Shortens every TurnBudget's turns to HURRIED_TURN_MS until the returned function is called (once is
 * enough; more calls do nothing). Lines are never dropped or reordered; a flood just pauses more often.
 */
export function hurryTurns(): () => void {
  hurried += 1;
  let done = false;
  return () => {
    if (done) return;
    done = true;
    hurried -= 1;
  };
}

/** How often (in lines) the turn's clock is read: a clock read per line costs as much as framing it. */
const CLOCK_EVERY = 64;

/**
 * A line budget per event-loop turn shared by every agent connection. A flood of many connections,
 * each delivering 64 KB (hundreds of lines) per read and up to 32 reads per poll, could otherwise
 * hold the event loop for seconds, and /healthz, /metrics and every timer wait that long. Once the
 * turn's lines (or time) are spent, a connection that still has lines pauses and waits here; the
 * turn ends on setImmediate (after the poll phase, so HTTP and timers have run) and resumes the
 * waiting connections in the order they paused, each in the next turn, for as long as it lasts.
 * Nothing is dropped or reordered: a paused connection keeps its place in its chunk and TCP
 * backpressure holds the rest in the kernel.
 */
export class TurnBudget {
  private left = 0;
  private open = false;
  /** The window's end is armed (a setImmediate is pending). */
  private scheduled = false;
  private startedAt = 0;
  /** Insertion-ordered: who paused first resumes first. */
  private readonly waiting = new Set<TurnWaiter>();
  private readonly lines: number;
  private readonly ms: number;
  private readonly onYield: () => void;
  private readonly now: () => number;
  private readonly defer: (run: () => void) => void;

  constructor(options: TurnBudgetOptions) {
    this.lines = Math.max(1, options.lines);
    this.ms = options.ms;
    this.onYield = options.onYield ?? (() => {});
    this.now = options.now ?? (() => performance.now());
    this.defer = options.defer ?? ((run) => setImmediate(run));
  }

  /** Room for at least one more line in this turn; begins a turn (and schedules its end) when none is open. */
  ready(): boolean {
    if (!this.open) this.begin();
    return this.left > 0;
  }

  /** One line handled; false once this turn's budget is spent (pause before the next line). */
  take(): boolean {
    const left = this.left - 1;
    if (left > 0 && (this.lines - left) % CLOCK_EVERY !== 0) {
      this.left = left;
      return true;
    }
    if (left > 0) {
      const now = this.now();
      if (!this.scheduled) {
        // The first CLOCK_EVERY lines of a window may have come over many quiet turns (one report per
        // packet): the turn that reaches them is the one to bound, so its end is armed and timed from here.
        this.schedule();
        this.startedAt = now;
        this.left = left;
        return true;
      }
      if (now - this.startedAt < (hurried === 0 ? this.ms : Math.min(this.ms, HURRIED_TURN_MS))) {
        this.left = left;
        return true;
      }
    }
    this.left = 0;
    return false;
  }

  /** Resume `waiter` in a later turn. */
  wait(waiter: TurnWaiter): void {
    if (!this.open) this.begin();
    if (!this.scheduled) this.schedule();
    this.waiting.add(waiter);
  }

  /** `waiter` no longer waits (closed, or released otherwise). */
  cancel(waiter: TurnWaiter): void {
    this.waiting.delete(waiter);
  }

  /** Connections waiting for a turn. */
  get waitingCount(): number {
    return this.waiting.size;
  }

  /**
   * A window opens with the first line after the last one ended, without arming its end: a quiet bridge
   * (one report per packet) would otherwise pay a setImmediate, i.e. one more pass of the event loop, per
   * read. The end is armed once the window has taken CLOCK_EVERY lines or someone waits.
   */
  private begin(): void {
    this.open = true;
    this.left = this.lines;
    this.startedAt = this.now();
  }

  private schedule(): void {
    this.scheduled = true;
    this.defer(this.end);
  }

  private readonly end = (): void => {
    this.open = false;
    this.scheduled = false;
    if (this.waiting.size === 0) return;
    this.onYield();
    // A waiter that runs out again re-enters at the back; the turn is then spent and the loop stops.
    for (const waiter of this.waiting) {
      if (!this.ready()) return;
      this.waiting.delete(waiter);
      waiter.resumeTurn();
    }
  };
}
