import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { DurabilityBarrier } from '../../../bridge/store/durability-barrier.ts';

// The window is a timer: fake time moves it, so no test waits for real milliseconds.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  vi.useRealTimers();
});

function controlledFlush() {
  const calls: Array<() => void> = [];
  return { calls, flush: () => new Promise<void>((resolve) => calls.push(resolve)) };
}

test('requests within one window share one flush', async () => {
  const { calls, flush } = controlledFlush();
  const barrier = new DurabilityBarrier(flush, 20);
  const waits = Array.from({ length: 100 }, () => barrier.wait());
  await vi.advanceTimersByTimeAsync(60);
  expect(calls).toHaveLength(1);
  calls[0]!();
  await Promise.all(waits);
});

test('a request made while a flush runs waits for the next flush, and resolves after the earlier ones', async () => {
  const { calls, flush } = controlledFlush();
  const barrier = new DurabilityBarrier(flush, 10);
  const order: string[] = [];
  const first = barrier.wait().then(() => order.push('first'));
  await vi.advanceTimersByTimeAsync(40);
  expect(calls).toHaveLength(1);
  const second = barrier.wait().then(() => order.push('second'));
  await vi.advanceTimersByTimeAsync(40);
  // The second flush must not start before the first finished: its lines may have missed it.
  expect(calls).toHaveLength(1);
  calls[0]!();
  await first;
  await vi.advanceTimersByTimeAsync(20);
  expect(calls).toHaveLength(2);
  expect(order).toEqual(['first']);
  calls[1]!();
  await second;
  expect(order).toEqual(['first', 'second']);
});

test('a failing flush rejects its waiters, so nothing is acknowledged; the next window tries again', async () => {
  let fail = true;
  const barrier = new DurabilityBarrier(() => (fail ? Promise.reject(new Error('disk full')) : Promise.resolve()), 5);
  const failed = expect(barrier.wait()).rejects.toThrow('disk full');
  await vi.advanceTimersByTimeAsync(5);
  await failed;
  fail = false;
  const passed = expect(barrier.wait()).resolves.toBeUndefined();
  await vi.advanceTimersByTimeAsync(5);
  await passed;
});
