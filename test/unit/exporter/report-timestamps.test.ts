import { afterEach, describe, expect, test, vi } from 'vitest';
import { loadOptions } from '../../../config/load.ts';
import { startExporter, type RunningExporter } from '../../../exporter/agent.ts';
import { exporterOptionSpecs } from '../../../exporter/options.ts';
import { silentLogger } from '../../../lib/logger.ts';
import { parseLine } from '../../../protocol/line.ts';
import { FakeSource } from './fake-source.ts';

let running: RunningExporter | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
  vi.useRealTimers();
});

/** Deterministic jitter in [-5, +5] ms (a small LCG, so a failure can be replayed). */
function jitter(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    return (s % 11) - 5;
  };
}

describe('report timestamps (issue 14, item 4)', () => {
  test('strictly increase, one per boundary, when timers fire a few ms early or late by the wall clock', async () => {
    // Fake timers run on their own clock; setSystemTime moves the wall clock (Date) without moving
    // them, which is what NTP slewing and libuv's cached loop time do to a real timer: it fires a
    // few ms before or after the boundary by Date.now(). Before the fix an early one stamped the
    // previous second (arrived …683.004 carrying …682) and InfluxDB kept one of the two.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    const start = 1_796_151_600_000;
    vi.setSystemTime(start + 500);
    const stamps: number[] = [];
    const lines: string[] = [];
    const values = loadOptions(
      exporterOptionSpecs,
      ['--node', 't1', '--interval', '1', '--server', '127.0.0.1:9'],
      {},
    ).values;
    running = await startExporter(values, silentLogger, {
      source: new FakeSource(),
      backoff: { initialMs: 60_000, maxMs: 60_000 },
      onReport: (r) => {
        stamps.push(r.timestamp);
        lines.push(r.line);
      },
    });
    const offset = jitter(14);
    const cycles = 400;
    for (let i = 0; i < cycles; i += 1) {
      await vi.advanceTimersByTimeAsync(500);
      // Halfway to the next boundary the wall clock slips by up to ±5 ms against the timers.
      vi.setSystemTime(Date.now() + offset());
      await vi.advanceTimersByTimeAsync(500);
    }
    expect(stamps.length).toBeGreaterThanOrEqual(cycles - 2);
    for (let i = 1; i < stamps.length; i += 1) expect(stamps[i]! - stamps[i - 1]!).toBe(1);
    expect(stamps.every(Number.isInteger)).toBe(true);
    // The line carries the same timestamp.
    for (const [i, line] of lines.entries()) {
      const parsed = parseLine(line);
      expect(parsed.ok && parsed.report.timestamp).toBe(stamps[i]);
    }
  });
});
