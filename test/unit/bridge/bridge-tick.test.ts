import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { BridgeTick } from '../../../bridge/state/bridge-tick.ts';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function tickWith(busy: { value: boolean }) {
  const runs: number[] = [];
  const lates: number[] = [];
  const tick = new BridgeTick({
    busyMs: 1000,
    idleMs: 10_000,
    busy: () => busy.value,
    run: () => runs.push(performance.now()),
    late: (ms) => lates.push(ms),
  });
  return { tick, runs, lates };
}

test('runs every busyMs while busy, every idleMs while not: an idle bridge wakes once per idleMs', () => {
  const busy = { value: false };
  const { tick, runs } = tickWith(busy);
  vi.advanceTimersByTime(9_999);
  expect(runs).toHaveLength(0);
  vi.advanceTimersByTime(1);
  expect(runs).toHaveLength(1);
  busy.value = true;
  // Asked after each run: the next is still idleMs away, then at busyMs.
  vi.advanceTimersByTime(10_000);
  expect(runs).toHaveLength(2);
  vi.advanceTimersByTime(3_000);
  expect(runs).toHaveLength(5);
  busy.value = false;
  vi.advanceTimersByTime(1_000);
  expect(runs).toHaveLength(6);
  vi.advanceTimersByTime(9_999);
  expect(runs).toHaveLength(6);
  tick.stop();
});

test('wake() brings an idle tick to busyMs at once (a node appeared: it can go down within busyMs)', () => {
  const busy = { value: false };
  const { tick, runs } = tickWith(busy);
  vi.advanceTimersByTime(4_000);
  busy.value = true;
  tick.wake();
  expect(tick.busy).toBe(true);
  vi.advanceTimersByTime(1_000);
  expect(runs).toHaveLength(1);
  // Waking a busy tick changes nothing.
  tick.wake();
  vi.advanceTimersByTime(500);
  tick.wake();
  vi.advanceTimersByTime(500);
  expect(runs).toHaveLength(2);
  tick.stop();
});

test('a wake() during a run arms no second timer', () => {
  const busy = { value: false };
  let tick: BridgeTick | undefined = undefined;
  let runs = 0;
  tick = new BridgeTick({
    busyMs: 1000,
    idleMs: 10_000,
    busy: () => busy.value,
    run: () => {
      runs += 1;
      busy.value = true;
      tick?.wake();
    },
  });
  vi.advanceTimersByTime(10_000);
  vi.advanceTimersByTime(5_000);
  expect(runs).toBe(6);
  expect(vi.getTimerCount()).toBe(1);
  tick.stop();
  expect(vi.getTimerCount()).toBe(0);
});

test('starts busy when there is something to do already (nodes restored), and reports how late each run fired', () => {
  const busy = { value: true };
  const { tick, runs, lates } = tickWith(busy);
  vi.advanceTimersByTime(1_000);
  expect(runs).toHaveLength(1);
  expect(lates).toEqual([0]);
  tick.stop();
  vi.advanceTimersByTime(60_000);
  expect(runs).toHaveLength(1);
});

test('ride(): a run due within a quarter period goes with a wake-up the bridge has anyway; every 10th is the timer’s, for the lag sample', () => {
  const busy = { value: true };
  const { tick, runs, lates } = tickWith(busy);
  // A packet 300 ms before the run is due: too early.
  vi.advanceTimersByTime(700);
  tick.ride(Date.now());
  expect(runs).toHaveLength(0);
  // 250 ms before: it runs now, and the next is a full period from here.
  vi.advanceTimersByTime(50);
  tick.ride(Date.now());
  expect(runs).toHaveLength(1);
  expect(lates).toEqual([]);
  vi.advanceTimersByTime(999);
  expect(runs).toHaveLength(1);
  // A steady fleet's packets every 100 ms: the timer fires on its own only for every tenth run; the
  // runs stay between three quarters of a period and a period apart.
  const first = runs.length;
  for (let i = 0; i < 400; i += 1) {
    vi.advanceTimersByTime(100);
    tick.ride(Date.now());
  }
  const steady = runs.slice(first - 1);
  const gaps = steady.slice(1).map((t, i) => t - steady[i]!);
  expect(Math.min(...gaps)).toBeGreaterThanOrEqual(750);
  expect(Math.max(...gaps)).toBeLessThanOrEqual(1000);
  expect(lates.length).toBeGreaterThan(0);
  expect(steady.length - 1).toBeGreaterThanOrEqual(10 * lates.length - 1);
  expect(vi.getTimerCount()).toBe(1);
  // No packets: back to the timer, every busyMs.
  const before = runs.length;
  vi.advanceTimersByTime(5_000);
  expect(runs.length - before).toBe(5);
  tick.stop();
  tick.ride(Date.now() + 10_000);
  expect(runs.length - before).toBe(5);
});
