import { afterEach, describe, expect, test } from 'vitest';
import { HURRIED_TURN_MS, hurryTurns, TURN_MS, TurnBudget } from '../../../bridge/ingest/turn-budget.ts';

/** Lines a turn takes on a clock that moves 0.1 ms per line, as a connection takes them. */
function linesPerTurn(): number {
  let clock = 0;
  const turn = new TurnBudget({ lines: 1_000_000, ms: TURN_MS, now: () => clock, defer: () => {} });
  let taken = 0;
  while (turn.ready()) {
    taken += 1;
    clock += 0.1;
    if (!turn.take()) break;
  }
  return taken;
}

let release: (() => void)[] = [];
afterEach(() => {
  for (const r of release) r();
  release = [];
});

describe('hurryTurns: shorter ingest turns while a scrape is written in slices', () => {
  test('turns end after HURRIED_TURN_MS while hurried, after TURN_MS again once released', () => {
    // A turn is timed from its 64th line (the first clock read), and its clock is read every 64 lines:
    // it ends within 64 lines (6.4 ms here) after 64 lines plus its cap.
    const within = (lines: number, capMs: number) => {
      expect(lines).toBeGreaterThanOrEqual(64 + capMs * 10);
      expect(lines).toBeLessThanOrEqual(64 + capMs * 10 + 64);
    };
    const normal = linesPerTurn();
    within(normal, TURN_MS);
    const done = hurryTurns();
    release.push(done);
    within(linesPerTurn(), HURRIED_TURN_MS);
    done();
    expect(linesPerTurn()).toBe(normal);
  });

  test('two scrapes at once: turns stay short until both are done; a second release changes nothing', () => {
    const normal = linesPerTurn();
    const a = hurryTurns();
    const b = hurryTurns();
    release.push(a, b);
    const short = linesPerTurn();
    expect(short).toBeLessThan(normal);
    a();
    a();
    expect(linesPerTurn()).toBe(short);
    b();
    expect(linesPerTurn()).toBe(normal);
  });
});
