import { describe, expect, test } from 'vitest';
import type { Collector, CollectorState } from '../../../../exporter/collectors/collector.ts';
import { filesystemCollector } from '../../../../exporter/collectors/filesystem.ts';
import { loadLongCollector } from '../../../../exporter/collectors/load-long.ts';
import { loadCollector } from '../../../../exporter/collectors/load.ts';
import { memoryCollector } from '../../../../exporter/collectors/memory.ts';
import { processesCollector } from '../../../../exporter/collectors/processes.ts';
import { temperatureCollector } from '../../../../exporter/collectors/temperature.ts';
import { uptimeCollector } from '../../../../exporter/collectors/uptime.ts';
import { FakeSource } from '../fake-source.ts';

const GIB = 2 ** 30;

function run(collector: Collector, source: FakeSource) {
  const state: CollectorState = { config: { interfaces: 'auto', now: () => 0 }, previous: undefined };
  return collector.collect(source, state);
}

describe('gauge collectors', () => {
  test('memory reports used share, and swap only where swap exists', async () => {
    const source = new FakeSource();
    expect(await run(memoryCollector, source)).toEqual([{ key: 'mem', value: 25 }]);
    source.readings.memory = {
      totalBytes: 4 * GIB,
      availableBytes: GIB,
      swapTotalBytes: 2 * GIB,
      swapFreeBytes: 1.5 * GIB,
    };
    expect(await run(memoryCollector, source)).toEqual([
      { key: 'mem', value: 75 },
      { key: 'swap', value: 25 },
    ]);
  });

  test('filesystem reports root unqualified and other mounts as disk@<mount>, as df computes it', async () => {
    const source = new FakeSource();
    source.readings.filesystems = [
      // 10 GiB reserved for root: used / (used + available) = 40 / 80.
      { mount: '/', root: true, sizeBytes: 90 * GIB, usedBytes: 40 * GIB, availableBytes: 40 * GIB },
      { mount: '/data', root: false, sizeBytes: 100 * GIB, usedBytes: 75 * GIB, availableBytes: 25 * GIB },
      { mount: '/mnt/usb disk', root: false, sizeBytes: 10, usedBytes: 1, availableBytes: 9 },
      { mount: '/empty', root: false, sizeBytes: 0, usedBytes: 0, availableBytes: 0 },
    ];
    expect(await run(filesystemCollector, source)).toEqual([
      { key: 'disk', value: 50 },
      { key: 'disk', qualifier: '/data', value: 75 },
      { key: 'disk', qualifier: '/mnt/usb_disk', value: 10 },
    ]);
  });

  test('load reports load1, load-long the other two, and both nothing without a load average', async () => {
    const source = new FakeSource();
    expect(await run(loadCollector, source)).toEqual([{ key: 'load1', value: 0.5 }]);
    expect(await run(loadLongCollector, source)).toEqual([
      { key: 'load5', value: 0.4 },
      { key: 'load15', value: 0.3 },
    ]);
    source.readings.load = undefined;
    expect(await run(loadCollector, source)).toEqual([]);
    expect(await run(loadLongCollector, source)).toEqual([]);
  });

  test('temperature reports the hottest sensor in whole degrees, and nothing without sensors', async () => {
    const source = new FakeSource();
    expect(await run(temperatureCollector, source)).toEqual([]);
    source.readings.temperatures = [
      { sensor: 'acpitz', celsius: 41 },
      { sensor: 'coretemp_Package id 0', celsius: 58.5 },
      { sensor: 'broken', celsius: Number.NaN },
    ];
    expect(await run(temperatureCollector, source)).toEqual([{ key: 'temp', value: 59 }]);
  });

  test('temperature is on by default and stops asking a machine that showed no sensor', async () => {
    expect(temperatureCollector.defaultEnabled).toBe(true);
    const source = new FakeSource();
    let reads = 0;
    source.temperatures = async () => {
      reads += 1;
      return [];
    };
    const state: CollectorState<'none'> = { config: { interfaces: 'auto', now: () => 0 }, previous: undefined };
    for (let i = 0; i < 3; i += 1) expect(await temperatureCollector.collect(source, state)).toEqual([]);
    expect(reads).toBe(1);
  });

  test('processes and uptime pass their reading through', async () => {
    const source = new FakeSource();
    expect(await run(processesCollector, source)).toEqual([{ key: 'procs', value: 123 }]);
    expect(await run(uptimeCollector, source)).toEqual([{ key: 'uptime', value: 1000 }]);
  });
});
