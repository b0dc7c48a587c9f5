import { afterEach, describe, expect, test, vi } from 'vitest';
import { MAX_CLOCK_WAIT_MS, startSchedule, type Schedule } from '../../../exporter/schedule.ts';

let schedule: Schedule | undefined;
afterEach(async () => {
  await schedule?.stop();
  schedule = undefined;
  vi.useRealTimers();
});

const FAKE: Parameters<typeof vi.useFakeTimers>[0] = { toFake: ['setTimeout', 'clearTimeout', 'Date'] };

/** Stop the schedule, moving fake time on so that a tick waiting on a timer can finish. */
async function stopInFakeTime(): Promise<void> {
  const stopping = schedule?.stop();
  schedule = undefined;
  await vi.advanceTimersByTimeAsync(10_000);
  await stopping;
}

describe('startSchedule', () => {
  test('ticks once per boundary of the wall clock', async () => {
    vi.useFakeTimers(FAKE);
    vi.setSystemTime(1_000_010);
    const at: number[] = [];
    schedule = startSchedule(50, async () => void at.push(Date.now()));
    await vi.advanceTimersByTimeAsync(300);
    expect(at).toEqual([1_000_050, 1_000_100, 1_000_150, 1_000_200, 1_000_250, 1_000_300]);
  });

  test('skips boundaries a slow tick overran instead of queueing behind it', async () => {
    vi.useFakeTimers(FAKE);
    vi.setSystemTime(1_000_005);
    const starts: number[] = [];
    schedule = startSchedule(20, async () => {
      starts.push(Date.now());
      await new Promise((r) => setTimeout(r, 70));
    });
    await vi.advanceTimersByTimeAsync(300);
    await stopInFakeTime();
    expect(starts.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < starts.length; i += 1) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(70);
  });

  test('keeps ticking after the wall clock is set back an hour, and says so', async () => {
    vi.useFakeTimers(FAKE);
    vi.setSystemTime(1_796_151_600_250);
    let offset = 0;
    let ticks = 0;
    const back: number[] = [];
    schedule = startSchedule(
      50,
      async () => {
        ticks += 1;
        offset = 3_600_000;
      },
      { now: () => Date.now() - offset, onClockBack: (ms) => back.push(ms) },
    );
    await vi.advanceTimersByTimeAsync(2000);
    expect(ticks).toBeGreaterThanOrEqual(3);
    expect(back).toHaveLength(1);
    expect(back[0]).toBeGreaterThan(3_599_000);
  });

  test('passes each tick its boundary, which strictly increases over many cycles of early, late and slow ticks', async () => {
    vi.useFakeTimers(FAKE);
    vi.setSystemTime(1_796_151_600_250);
    const ats: number[] = [];
    let n = 0;
    schedule = startSchedule(1000, async (at) => {
      ats.push(at);
      n += 1;
      // Every 7th tick takes 1.5 intervals (a slow statfs): the boundary it overran is skipped.
      if (n % 7 === 0) await new Promise((r) => setTimeout(r, 1500));
    });
    for (let i = 0; i < 1000; i += 1) {
      await vi.advanceTimersByTimeAsync(300);
      // The wall clock moves against the timers by -4..+4 ms: timers fire early or late by it.
      vi.setSystemTime(Date.now() + ((i * 7) % 9) - 4);
      await vi.advanceTimersByTimeAsync(700);
    }
    // A tick may be waiting on its (fake) timer: let it finish.
    const stopping = schedule.stop();
    await vi.advanceTimersByTimeAsync(2000);
    await stopping;
    expect(ats.length).toBeGreaterThan(800);
    for (let i = 1; i < ats.length; i += 1) {
      expect(ats[i]! % 1000).toBe(0);
      expect(ats[i]!).toBeGreaterThan(ats[i - 1]!);
      expect(ats[i]! - ats[i - 1]!).toBeLessThanOrEqual(2000);
    }
  });

  test('a timer that fires early gets the boundary it was set for, not the previous one', async () => {
    vi.useFakeTimers(FAKE);
    vi.setSystemTime(10_000_100);
    const ats: Array<{ at: number; now: number }> = [];
    schedule = startSchedule(1000, async (at) => void ats.push({ at, now: Date.now() }));
    await vi.advanceTimersByTimeAsync(500);
    vi.setSystemTime(Date.now() - 3); // the next timer fires 3 ms before 10_001_000 by the wall clock
    await vi.advanceTimersByTimeAsync(500);
    expect(ats).toEqual([{ at: 10_001_000, now: 10_000_997 }]);
    await vi.advanceTimersByTimeAsync(1010);
    expect(ats.map((a) => a.at)).toEqual([10_001_000, 10_002_000]);
  });

  test('a timer that fires late gets the boundary that just passed', async () => {
    vi.useFakeTimers(FAKE);
    vi.setSystemTime(10_000_100);
    const ats: number[] = [];
    schedule = startSchedule(1000, async (at) => void ats.push(at));
    await vi.advanceTimersByTimeAsync(500);
    vi.setSystemTime(Date.now() + 1200); // the clock jumps forward past a boundary
    await vi.advanceTimersByTimeAsync(500);
    expect(ats).toEqual([10_002_000]);
  });

  test('waits out a clock set back by less than MAX_CLOCK_WAIT_MS instead of repeating timestamps', async () => {
    vi.useFakeTimers(FAKE);
    vi.setSystemTime(10_000_100);
    const ats: number[] = [];
    const back: number[] = [];
    schedule = startSchedule(1000, async (at) => void ats.push(at), { onClockBack: (ms) => back.push(ms) });
    await vi.advanceTimersByTimeAsync(3000);
    expect(ats).toEqual([10_001_000, 10_002_000, 10_003_000]);
    vi.setSystemTime(Date.now() - 5000); // an NTP step back of 5 s
    await vi.advanceTimersByTimeAsync(10_000);
    expect(ats.slice(3)[0]).toBe(10_004_000);
    for (let i = 1; i < ats.length; i += 1) expect(ats[i]! - ats[i - 1]!).toBe(1000);
    expect(back).toEqual([]);
    expect(MAX_CLOCK_WAIT_MS).toBeGreaterThan(5000);
  });

  test('stop() waits for a running tick and prevents further ones', async () => {
    vi.useFakeTimers(FAKE);
    vi.setSystemTime(1_000_005);
    let ticks = 0;
    let finished = false;
    schedule = startSchedule(20, async () => {
      ticks += 1;
      await new Promise((r) => setTimeout(r, 50));
      finished = true;
    });
    await vi.advanceTimersByTimeAsync(15);
    expect(ticks).toBe(1);
    let stopped = false;
    const stopping = schedule.stop().then(() => (stopped = true));
    await vi.advanceTimersByTimeAsync(49);
    expect(stopped).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await stopping;
    expect(finished).toBe(true);
    await vi.advanceTimersByTimeAsync(100);
    expect(ticks).toBe(1);
  });
});
