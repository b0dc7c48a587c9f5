import { describe, expect, test } from 'vitest';
import { LineBudget } from '../../../bridge/ingest/line-budget.ts';
import { TurnBudget, type TurnWaiter } from '../../../bridge/ingest/turn-budget.ts';

/** A TurnBudget on an injected clock, its turn ends queued here instead of on setImmediate. */
function manualTurn(lines: number, ms = 1000) {
  let clock = 0;
  let clockReads = 0;
  let yields = 0;
  const deferred: (() => void)[] = [];
  const turn = new TurnBudget({
    lines,
    ms,
    onYield: () => (yields += 1),
    now: () => {
      clockReads += 1;
      return clock;
    },
    defer: (run) => deferred.push(run),
  });
  return {
    turn,
    advance: (by: number) => (clock += by),
    /** The event loop reaching its check phase: the pending turn ends. */
    endTurn: () => {
      const run = deferred.shift();
      if (run === undefined) throw new Error('no turn pending');
      run();
    },
    pending: () => deferred.length,
    clockReads: () => clockReads,
    yields: () => yields,
  };
}

/** Lines taken until the budget says stop (at most `max`), as a connection does. */
function takeUntilSpent(turn: TurnBudget, max = 1_000_000): number {
  let taken = 0;
  while (taken < max && turn.ready()) {
    taken += 1;
    if (!turn.take()) break;
  }
  return taken;
}

describe('TurnBudget: lines per event-loop turn shared by all connections', () => {
  test('a turn allows its lines, then nothing until the turn ends', () => {
    const m = manualTurn(100);
    expect(takeUntilSpent(m.turn)).toBe(100);
    expect(m.turn.ready()).toBe(false);
    expect(m.pending()).toBe(1);
    m.endTurn();
    expect(takeUntilSpent(m.turn)).toBe(100);
  });

  test('the time cap ends a turn early; the clock is read once per 64 lines, not per line', () => {
    const m = manualTurn(10_000, 10);
    let taken = 0;
    while (m.turn.ready() && m.turn.take()) {
      taken += 1;
      if (taken === 200) m.advance(11);
    }
    // Noticed at the next clock read, within 64 lines of the 200th.
    expect(taken + 1).toBeGreaterThan(200);
    expect(taken + 1).toBeLessThanOrEqual(264);
    expect(m.clockReads()).toBeLessThanOrEqual(1 + Math.ceil((taken + 1) / 64));
    expect(m.turn.ready()).toBe(false);
  });

  test('no turn is scheduled while no line flows', () => {
    const m = manualTurn(10);
    expect(m.pending()).toBe(0);
    takeUntilSpent(m.turn, 3);
    expect(m.pending()).toBe(0);
    expect(m.yields()).toBe(0);
  });

  test('a quiet turn arms no setImmediate: its lines count towards a window that ends after 64 lines', () => {
    const m = manualTurn(2000, 10);
    // One report per packet: 63 reads over many quiet turns, minutes apart, cost no deferred turn end.
    for (let read = 0; read < 63; read += 1) {
      expect(takeUntilSpent(m.turn, 1)).toBe(1);
      m.advance(100);
    }
    expect(m.pending()).toBe(0);
    // The 64th line arms the end, and the time cap counts from there (not from the first quiet read).
    expect(takeUntilSpent(m.turn, 1)).toBe(1);
    expect(m.pending()).toBe(1);
    expect(m.turn.ready()).toBe(true);
    m.endTurn();
    // A fresh window: the whole budget again.
    expect(takeUntilSpent(m.turn)).toBe(2000);
  });

  test('waiters resume in the order they paused, each as far as the next turn goes', () => {
    const m = manualTurn(10);
    const order: string[] = [];
    /** A connection with `lines` to handle; it waits again when the turn runs out. */
    const connection = (name: string, lines: number): TurnWaiter & { left: number } => {
      const c = {
        left: lines,
        resumeTurn: () => {
          while (c.left > 0 && m.turn.ready()) {
            c.left -= 1;
            order.push(name);
            if (!m.turn.take()) break;
          }
          if (c.left > 0) m.turn.wait(c);
        },
      };
      return c;
    };
    const [a, b, c] = [connection('a', 15), connection('b', 4), connection('c', 3)];
    a.resumeTurn();
    b.resumeTurn();
    c.resumeTurn();
    // Turn 1: a's first 10 lines; b and c paused without a line.
    expect(order.join('')).toBe('aaaaaaaaaa');
    expect(m.turn.waitingCount).toBe(3);
    m.endTurn();
    // Turn 2: a's last 5 (first to pause), then b's 4, then one of c's; c waits again.
    expect(order.join('').slice(10)).toBe('aaaaabbbbc');
    expect(m.turn.waitingCount).toBe(1);
    m.endTurn();
    expect(order.join('').slice(20)).toBe('cc');
    expect(m.turn.waitingCount).toBe(0);
    expect(m.yields()).toBe(2);
  });

  test('a cancelled waiter is not resumed', () => {
    const m = manualTurn(1);
    let resumed = 0;
    const w: TurnWaiter = { resumeTurn: () => (resumed += 1) };
    takeUntilSpent(m.turn);
    m.turn.wait(w);
    m.turn.cancel(w);
    m.endTurn();
    expect(resumed).toBe(0);
  });

  test('a waiter added when no turn is open still gets its turn', () => {
    const m = manualTurn(5);
    let resumed = 0;
    m.turn.wait({ resumeTurn: () => (resumed += 1) });
    m.endTurn();
    expect(resumed).toBe(1);
  });
});

describe('LineBudget: lines per second per connection, the clock read by the caller once per chunk', () => {
  test('one second of burst, then a wait until one line is earned', () => {
    const budget = new LineBudget(10, 0);
    let taken = 0;
    while (budget.ready) {
      taken += 1;
      budget.take();
    }
    expect(taken).toBe(10);
    expect(budget.waitMs).toBe(100);
    budget.refill(50);
    expect(budget.ready).toBe(false);
    budget.refill(100);
    expect(budget.ready).toBe(true);
    expect(budget.waitMs).toBe(0);
  });

  test('take() says when the line just handled spent the budget', () => {
    const budget = new LineBudget(2, 0);
    expect(budget.take()).toBe(true);
    expect(budget.take()).toBe(false);
  });

  test('an idle connection saves at most one second of lines', () => {
    const budget = new LineBudget(5, 0);
    budget.refill(60_000);
    let taken = 0;
    while (budget.ready) {
      taken += 1;
      budget.take();
    }
    expect(taken).toBe(5);
  });

  test('a clock that steps back earns nothing and loses nothing', () => {
    const budget = new LineBudget(4, 10_000);
    budget.take();
    budget.refill(5_000);
    let taken = 0;
    while (budget.ready) {
      taken += 1;
      budget.take();
    }
    expect(taken).toBe(3);
  });
});
