import { expect, test } from 'vitest';
import { LineBudget } from '../../../bridge/ingest/line-budget.ts';

/** A budget on a clock the test moves by hand (the connection refills once per chunk). */
function budget(perSecond: number) {
  let now = 1_000_000;
  const b = new LineBudget(perSecond, now);
  return {
    take: () => b.take(),
    wait: () => b.waitMs,
    advance: (ms: number) => b.refill((now += ms)),
  };
}

test('one second of lines passes at once (the burst), then the next line waits for its token', () => {
  const b = budget(10);
  for (let i = 0; i < 9; i += 1) expect(b.take()).toBe(true);
  expect(b.take()).toBe(false);
  expect(b.wait()).toBe(100);
});

test('tokens come back with time at the configured rate, never above one second of burst', () => {
  const b = budget(10);
  for (let i = 0; i < 10; i += 1) b.take();
  b.advance(500);
  for (let i = 0; i < 4; i += 1) expect(b.take()).toBe(true);
  expect(b.take()).toBe(false);
  b.advance(60_000);
  for (let i = 0; i < 9; i += 1) expect(b.take()).toBe(true);
  expect(b.take()).toBe(false);
  expect(b.wait()).toBe(100);
});

test('a connection over budget that waits as told is held to the rate: one line per 1/rate seconds', () => {
  const b = budget(4);
  for (let i = 0; i < 4; i += 1) b.take();
  expect(b.wait()).toBe(250);
  for (let i = 0; i < 20; i += 1) {
    b.advance(b.wait());
    expect(b.wait()).toBe(0);
    b.take();
    expect(b.wait()).toBe(250);
  }
});
