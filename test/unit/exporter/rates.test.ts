import { describe, expect, test } from 'vitest';
import { counterIncrease, RateTracker } from '../../../exporter/rates.ts';

describe('counterIncrease', () => {
  test.each([
    { name: 'a growing counter', previous: 100, current: 350, expect: 250 },
    { name: 'an unchanged counter', previous: 100, current: 100, expect: 0 },
    { name: 'a 32-bit wrap', previous: 2 ** 32 - 10, current: 5, expect: 15 },
    { name: 'a reset of a small counter (counts from zero)', previous: 5000, current: 300, expect: 300 },
    { name: 'a reset of a 64-bit counter', previous: 2 ** 40, current: 1000, expect: 1000 },
  ])('handles $name', ({ previous, current, expect: increase }) => {
    expect(counterIncrease(previous, current)).toBe(increase);
  });
});

describe('RateTracker', () => {
  test('returns per-second rates for names seen in consecutive readings', () => {
    const tracker = new RateTracker();
    expect(tracker.update(new Map([['a', 0]]), 1000).size).toBe(0);
    const rates = tracker.update(
      new Map([
        ['a', 500],
        ['b', 7],
      ]),
      1500,
    );
    expect([...rates]).toEqual([['a', 1000]]);
    expect([...tracker.update(new Map([['b', 17]]), 2500)]).toEqual([['b', 10]]);
  });

  test('forgets names that disappear, so they restart without a stale baseline', () => {
    const tracker = new RateTracker();
    tracker.update(new Map([['veth1', 100]]), 0);
    tracker.update(new Map(), 1000);
    expect(tracker.update(new Map([['veth1', 5000]]), 2000).size).toBe(0);
  });

  test('returns nothing when the clock did not advance', () => {
    const tracker = new RateTracker();
    tracker.update(new Map([['a', 1]]), 1000);
    expect(tracker.update(new Map([['a', 2]]), 1000).size).toBe(0);
  });
});
