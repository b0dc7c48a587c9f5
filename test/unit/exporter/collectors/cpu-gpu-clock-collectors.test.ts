import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import type { CollectorConfig, CollectorState } from '../../../../exporter/collectors/collector.ts';
import { clockSyncCollector } from '../../../../exporter/collectors/clock-sync.ts';
import { cpuCoresCollector, MAX_CORE_VALUES } from '../../../../exporter/collectors/cpu-cores.ts';
import { cpuWaitCollector } from '../../../../exporter/collectors/cpu-wait.ts';
import { gpuCollector } from '../../../../exporter/collectors/gpu.ts';
import { parseNvidiaSmiLine } from '../../../../exporter/sources/parsers/nvidia-smi.ts';
import type { CpuTimes, GpuReading } from '../../../../exporter/sources/system-source.ts';
import { FakeSource } from '../fake-source.ts';

function state<P>(config: Partial<CollectorConfig> = {}): CollectorState<P> {
  return { config: { interfaces: 'auto', now: () => 0, ...config }, previous: undefined };
}

describe('cpu-wait collector', () => {
  test('iowait and steal as percent of all the ticks in between, nothing on the first cycle', async () => {
    const source = new FakeSource();
    const s = state<CpuTimes>();
    source.readings.cpu = { busy: 1000, total: 10_000, iowait: 100, steal: 0 };
    expect(await cpuWaitCollector.collect(source, s)).toEqual([]);
    source.readings.cpu = { busy: 1100, total: 11_000, iowait: 350, steal: 50 };
    expect(await cpuWaitCollector.collect(source, s)).toEqual([
      { key: 'iowait', value: 25 },
      { key: 'steal', value: 5 },
    ]);
  });

  test('nothing where the source has no such counters (node:os on Windows and macOS)', async () => {
    const source = new FakeSource();
    const s = state<CpuTimes>();
    await cpuWaitCollector.collect(source, s);
    source.readings.cpu = { busy: 2000, total: 20_000 };
    expect(await cpuWaitCollector.collect(source, s)).toEqual([]);
  });

  test('is off by default (the standard report has no room for it)', () => {
    expect(cpuWaitCollector.defaultEnabled).toBe(false);
  });
});

describe('cpu-cores collector', () => {
  test('cpu@<core> per core; a core that went offline or appeared in between is left out', async () => {
    const source = new FakeSource();
    const s = state<ReadonlyMap<string, CpuTimes>>();
    source.readings.cores = new Map([
      ['0', { busy: 0, total: 1000 }],
      ['1', { busy: 0, total: 1000 }],
      ['2', { busy: 0, total: 1000 }],
    ]);
    expect(await cpuCoresCollector.collect(source, s)).toEqual([]);
    source.readings.cores = new Map([
      ['0', { busy: 1000, total: 2000 }],
      ['2', { busy: 100, total: 2000 }],
      ['3', { busy: 100, total: 2000 }],
    ]);
    expect(await cpuCoresCollector.collect(source, s)).toEqual([
      { key: 'cpu', qualifier: '0', value: 100 },
      { key: 'cpu', qualifier: '2', value: 10 },
    ]);
  });

  test(`a 256-core host reports its first ${MAX_CORE_VALUES} cores, and the collector is off by default`, async () => {
    expect(cpuCoresCollector.defaultEnabled).toBe(false);
    const cores = (busy: number) =>
      new Map(Array.from({ length: 256 }, (_, i): [string, CpuTimes] => [String(i), { busy, total: busy * 2 }]));
    const source = new FakeSource();
    const s = state<ReadonlyMap<string, CpuTimes>>();
    source.readings.cores = cores(10);
    await cpuCoresCollector.collect(source, s);
    source.readings.cores = cores(20);
    const samples = await cpuCoresCollector.collect(source, s);
    expect(samples).toHaveLength(MAX_CORE_VALUES);
    expect(samples.at(-1)).toEqual({ key: 'cpu', qualifier: String(MAX_CORE_VALUES - 1), value: 50 });
  });
});

describe('gpu collector', () => {
  const fixture = readFileSync(new URL('../../../fixtures/nvidia-smi/query-gpu.csv', import.meta.url), 'utf8');
  const readings = fixture
    .split('\n')
    .map(parseNvidiaSmiLine)
    .filter((r): r is GpuReading => r !== undefined);

  test('gpu@<n>, gpu_mem@<n>, gpu_temp@<n> from the nvidia-smi fixture; unsupported fields are left out', async () => {
    const samples = await gpuCollector.collect(new FakeSource(), state({ gpus: { gpus: () => readings } }));
    expect(samples).toEqual([
      { key: 'gpu', qualifier: '0', value: 87 },
      { key: 'gpu_mem', qualifier: '0', value: (10240 / 24576) * 100 },
      { key: 'gpu_temp', qualifier: '0', value: 71 },
      { key: 'gpu', qualifier: '1', value: 0 },
      { key: 'gpu_mem', qualifier: '1', value: (3 / 24576) * 100 },
      { key: 'gpu_temp', qualifier: '1', value: 34 },
      { key: 'gpu_mem', qualifier: '3', value: 6.25 },
      { key: 'gpu_temp', qualifier: '3', value: 45 },
    ]);
  });

  test('quiet without a GPU reader (no gpu collector, or nvidia-smi absent)', async () => {
    expect(await gpuCollector.collect(new FakeSource(), state())).toEqual([]);
    expect(await gpuCollector.collect(new FakeSource(), state({ gpus: { gpus: () => [] } }))).toEqual([]);
    expect(gpuCollector.defaultEnabled).toBe(false);
  });
});

describe('clock-sync collector', () => {
  test('clock_sync_age where the source can tell, nothing where it cannot', async () => {
    const source = new FakeSource();
    expect(await clockSyncCollector.collect(source, state())).toEqual([]);
    source.readings.clockSyncAge = 812.5;
    expect(await clockSyncCollector.collect(source, state())).toEqual([{ key: 'clock_sync_age', value: 812.5 }]);
  });
});
