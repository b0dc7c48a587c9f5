import { expect, test } from 'vitest';
import { LineBudget } from '../../../bridge/ingest/line-budget.ts';

/** A budget on a clock the test moves by hand. */
function budget(perSecond: number) {
  let now = 1_000_000;
  const b = new LineBudget(perSecond, () => now);
  return { take: () => b.take(), advance: (ms: number) => (now += ms) };
}

test('one second of lines passes at once (the burst), the next line waits for its token', () => {
  const b = budget(10);
  for (let i = 0; i < 10; i += 1) expect(b.take()).toBe(0);
  expect(b.take()).toBe(100);
  // Each further line owes one more token: the pause grows with the debt.
  expect(b.take()).toBe(200);
});

test('tokens come back with time at the configured rate, never above one second of burst', () => {
  const b = budget(10);
  for (let i = 0; i < 10; i += 1) b.take();
  b.advance(500);
  for (let i = 0; i < 5; i += 1) expect(b.take()).toBe(0);
  expect(b.take()).toBeGreaterThan(0);
  b.advance(60_000);
  for (let i = 0; i < 10; i += 1) expect(b.take()).toBe(0);
  expect(b.take()).toBe(100);
});

test('a connection over budget that waits as told is held to the rate: one line per 1/rate seconds', () => {
  const b = budget(4);
  for (let i = 0; i < 4; i += 1) b.take();
  let pause = b.take();
  expect(pause).toBe(250);
  for (let i = 0; i < 20; i += 1) {
    b.advance(pause);
    pause = b.take();
    expect(pause).toBe(250);
  }
});
