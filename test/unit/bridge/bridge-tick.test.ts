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

test('ride(): under steady packets the runs ride on them, a period apart, and the timer wakes only every 5 s; when they stop, it takes over', () => {
  const busy = { value: true };
  const { tick, runs, lates } = tickWith(busy);
  const packets = (ms: number, every: number) => {
    for (let t = 0; t < ms; t += every) {
      vi.advanceTimersByTime(every);
      tick.ride(Date.now());
    }
  };
  // The first period brings 10 packets: from its run on, runs ride on packets.
  packets(1000, 100);
  expect(runs).toHaveLength(1);
  expect(lates).toHaveLength(1);
  const first = runs.length - 1;
  packets(20_000, 100);
  const riding = runs.slice(first);
  const gaps = riding.slice(1).map((t, i) => t - riding[i]!);
  expect(riding.length).toBeGreaterThanOrEqual(19);
  expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1000);
  expect(Math.max(...gaps)).toBeLessThanOrEqual(1100);
  // The guard's own wake-ups (its lag samples): every 5 s, not every second.
  expect(lates.length - 1).toBe(4);
  expect(vi.getTimerCount()).toBe(1);
  // The packets stop: the guard runs within 5 s, then the timer every second again.
  const stoppedAt = performance.now();
  const before = runs.length;
  vi.advanceTimersByTime(5_000);
  expect(runs.length - before).toBeGreaterThanOrEqual(1);
  expect(runs[before]! - stoppedAt).toBeLessThanOrEqual(5_000);
  const back = runs.length;
  vi.advanceTimersByTime(3_000);
  expect(runs.length - back).toBe(3);
  tick.stop();
  tick.ride(Date.now());
  expect(runs.length - back).toBe(3);
});

test('ride(): packets fewer than 5 a period leave the runs to the timer, every second', () => {
  const busy = { value: true };
  const { tick, runs, lates } = tickWith(busy);
  for (let t = 0; t < 10_000; t += 250) {
    vi.advanceTimersByTime(250);
    tick.ride(Date.now());
  }
  expect(runs).toHaveLength(10);
  expect(lates).toHaveLength(10);
  // A fleet that thins out while riding goes back to the timer at its next run.
  for (let t = 0; t < 3_000; t += 100) {
    vi.advanceTimersByTime(100);
    tick.ride(Date.now());
  }
  const thinnedAt = runs.length;
  for (let t = 0; t < 5_000; t += 500) {
    vi.advanceTimersByTime(500);
    tick.ride(Date.now());
  }
  const gaps = runs
    .slice(thinnedAt - 1)
    .map((t, i, all) => (i === 0 ? 0 : t - all[i - 1]!))
    .slice(1);
  expect(Math.max(...gaps)).toBeLessThanOrEqual(1000);
  tick.stop();
});
