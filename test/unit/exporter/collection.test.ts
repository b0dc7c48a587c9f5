import { afterEach, describe, expect, test, vi } from 'vitest';
import { Collection, type CollectorOutcome } from '../../../exporter/collection.ts';
import { COLLECTORS, DEFAULT_COLLECTORS } from '../../../exporter/collectors/index.ts';
import { createLogger } from '../../../lib/logger.ts';
import { encodeReport, parseLine } from '../../../protocol/line.ts';
import { advanceUntil } from '../../helpers/fake-time.ts';
import { FakeSource } from './fake-source.ts';

function collection(source: FakeSource, names: readonly string[] = DEFAULT_COLLECTORS) {
  const logs: string[] = [];
  const outcomes: CollectorOutcome[] = [];
  const clock = { ms: 0 };
  const c = new Collection(
    source,
    COLLECTORS.filter((x) => names.includes(x.name)),
    { interfaces: 'auto', now: () => clock.ms },
    createLogger('test', 'debug', (line) => logs.push(line)),
    (o) => outcomes.push(o),
  );
  return { c, logs, outcomes, clock };
}

afterEach(() => {
  vi.useRealTimers();
});

/** A cycle on a fake clock: its samples, and the fake ms it took (a hung collector's timeout). */
async function collectInFakeTime(c: Collection) {
  let samples: Awaited<ReturnType<Collection['collect']>> | undefined;
  let failed: unknown;
  c.collect().then(
    (s) => (samples = s),
    (e: unknown) => (failed = e ?? new Error('rejected')),
  );
  const tookMs = await advanceUntil('the cycle', () => samples !== undefined || failed !== undefined, 1000);
  if (failed !== undefined) throw failed;
  return { samples: samples!, tookMs };
}

describe('Collection', () => {
  test('a failing collector costs only its own keys, is reported as failed and logged once', async () => {
    const source = new FakeSource();
    source.readings.memory = new Error('meminfo vanished');
    const { c, logs, outcomes } = collection(source);
    await c.collect();
    const samples = await c.collect();
    expect(samples.map((s) => s.key)).toEqual(['disk', 'load1', 'procs']);
    expect(outcomes.filter((o) => o.collector === 'memory').map((o) => o.ok)).toEqual([false, false]);
    expect(outcomes.filter((o) => o.collector === 'load').every((o) => o.ok)).toBe(true);
    expect(logs.filter((l) => l.includes('Collector memory failed: meminfo vanished'))).toHaveLength(1);
  });

  test('a collector that never answers times out and the report goes out without it', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'performance'] });
    const source = new FakeSource();
    source.filesystems = () => new Promise(() => {});
    const outcomes: CollectorOutcome[] = [];
    const c = new Collection(
      source,
      COLLECTORS.filter((x) => DEFAULT_COLLECTORS.includes(x.name)),
      { interfaces: 'auto', now: () => 0 },
      createLogger('test', 'error', () => {}),
      (o) => outcomes.push(o),
      50,
    );
    const { samples, tookMs } = await collectInFakeTime(c);
    // The hung collector is given up at its deadline, not before, not later.
    expect(tookMs).toBe(50);
    expect(samples.map((s) => s.key)).toEqual(['mem', 'load1', 'procs']);
    expect(outcomes.find((o) => o.collector === 'filesystem')?.ok).toBe(false);
  });

  test('collectors that answer within the turn arm no timeout timer (it would wake the agent between cycles)', async () => {
    const timers = vi.spyOn(globalThis, 'setTimeout');
    try {
      const { c } = collection(new FakeSource());
      await c.collect();
      await new Promise((resolve) => setImmediate(resolve));
      expect(timers).not.toHaveBeenCalled();
    } finally {
      timers.mockRestore();
    }
  });

  test('a collector answering after the timeout stays failed for that cycle and its samples are not used', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'performance'] });
    const source = new FakeSource();
    let answer: (readings: Awaited<ReturnType<FakeSource['filesystems']>>) => void = () => {};
    source.filesystems = () => new Promise((resolve) => (answer = resolve));
    const outcomes: CollectorOutcome[] = [];
    const logs: string[] = [];
    const c = new Collection(
      source,
      COLLECTORS.filter((x) => ['memory', 'filesystem'].includes(x.name)),
      { interfaces: 'auto', now: () => 0 },
      createLogger('test', 'warn', (line) => logs.push(line)),
      (o) => outcomes.push(o),
      20,
    );
    const { samples: first, tookMs } = await collectInFakeTime(c);
    expect(tookMs).toBe(20);
    answer([{ mount: '/', root: true, sizeBytes: 100, usedBytes: 50, availableBytes: 50 }]);
    // Whatever the late answer sets off (promise callbacks, timers) has run.
    await vi.runAllTimersAsync();
    expect(first.map((s) => s.key)).toEqual(['mem']);
    expect(outcomes.map((o) => [o.collector, o.ok])).toEqual([
      ['memory', true],
      ['filesystem', false],
    ]);
    expect(logs.join('\n')).toMatch(/Collector filesystem failed: no answer within 20 ms/);
  });

  test('with no collector the cycle yields an empty report at once', async () => {
    const { c } = collection(new FakeSource(), []);
    expect(await c.collect()).toEqual([]);
  });

  test('an unsendable value is dropped and the rest of the report goes out', async () => {
    const source = new FakeSource();
    source.readings.procs = Number.NaN;
    const { c, logs } = collection(source);
    const samples = await c.collect();
    expect(samples.map((s) => s.key)).toEqual(['mem', 'disk', 'load1']);
    expect(logs.join('\n')).toMatch(/Dropped unsendable values: procs/);
  });

  test('the default report is the standard one plus swap and temp, and fits 128 bytes with a 16-character node name', async () => {
    const source = new FakeSource();
    source.readings.temperatures = [{ sensor: 'coretemp_Package id 0', celsius: 105.4 }];
    const { c, clock } = collection(source);
    await c.collect();
    // Values chosen for the longest text each key can plausibly have.
    clock.ms = 1000;
    source.readings.cpu = { busy: 1000 + 999, total: 10_000 + 1000 };
    source.readings.memory = { totalBytes: 1000, availableBytes: 1, swapTotalBytes: 1000, swapFreeBytes: 1 };
    source.readings.filesystems = [{ mount: '/', root: true, sizeBytes: 1000, usedBytes: 999, availableBytes: 1 }];
    source.readings.network = [{ name: 'eth0', kind: 'physical', rxBytes: 9_999_999_999, txBytes: 9_999_999_999 }];
    source.readings.load = { load1: 999.99, load5: 0, load15: 0 };
    source.readings.procs = 99_999;
    const samples = await c.collect();
    expect(samples.map((s) => s.key)).toEqual(['cpu', 'mem', 'swap', 'disk', 'rx', 'tx', 'load1', 'procs', 'temp']);
    const line = encodeReport({ node: 'ccd-controller-1', timestamp: 1_763_884_800, samples });
    expect(line.length + 1).toBeLessThanOrEqual(128);
    expect(parseLine(line).ok).toBe(true);
  });
});
