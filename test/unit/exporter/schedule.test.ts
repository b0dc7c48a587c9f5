import { afterEach, describe, expect, test } from 'vitest';
import { startSchedule, type Schedule } from '../../../exporter/schedule.ts';
import { waitFor } from '../../helpers/wait-for.ts';

let schedule: Schedule | undefined;
afterEach(async () => {
  await schedule?.stop();
  schedule = undefined;
});

describe('startSchedule', () => {
  test('ticks once per boundary of the wall clock', async () => {
    const at: number[] = [];
    schedule = startSchedule(50, async () => void at.push(Date.now()));
    await waitFor('six ticks', () => at.length >= 6);
    // Timers fire a little early or late under load, so individual stamps may share a 50 ms slot;
    // what must hold is one tick per boundary: never more ticks than boundaries crossed (+1 at each end).
    const boundariesCrossed = Math.floor(at.at(-1)! / 50) - Math.floor(at[0]! / 50);
    expect(at.length).toBeLessThanOrEqual(boundariesCrossed + 2);
  });

  test('skips boundaries a slow tick overran instead of queueing behind it', async () => {
    const starts: number[] = [];
    schedule = startSchedule(20, async () => {
      starts.push(Date.now());
      await new Promise((r) => setTimeout(r, 70));
    });
    await waitFor('three ticks', () => starts.length >= 3);
    for (let i = 1; i < starts.length; i += 1) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(70);
  });

  test('keeps ticking after the wall clock is set back an hour', async () => {
    let offset = 0;
    let ticks = 0;
    schedule = startSchedule(50, async () => {
      ticks += 1;
      offset = 3_600_000;
    }, () => Date.now() - offset);
    await waitFor('ticks after the clock change', () => ticks >= 3, 2000);
  });

  test('stop() waits for a running tick and prevents further ones', async () => {
    let ticks = 0;
    let finished = false;
    schedule = startSchedule(20, async () => {
      ticks += 1;
      await new Promise((r) => setTimeout(r, 50));
      finished = true;
    });
    await waitFor('a tick', () => ticks === 1);
    await schedule.stop();
    expect(finished).toBe(true);
    const after = ticks;
    await new Promise((r) => setTimeout(r, 100));
    expect(ticks).toBe(after);
  });
});
