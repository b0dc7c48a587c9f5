import { describe, expect, test } from 'vitest';
import type { CollectorConfig, CollectorState } from '../../../../exporter/collectors/collector.ts';
import { cpuCollector } from '../../../../exporter/collectors/cpu.ts';
import { networkCollector } from '../../../../exporter/collectors/network.ts';
import type { InterfaceCounters } from '../../../../exporter/sources/system-source.ts';
import { FakeSource } from '../fake-source.ts';

function stateWith<P>(interfaces: CollectorConfig['interfaces'] = 'auto') {
  const clock = { ms: 0 };
  const state: CollectorState<P> = { config: { interfaces, now: () => clock.ms }, previous: undefined };
  return { state, clock };
}

const nic = (name: string, kind: InterfaceCounters['kind'], rxBytes: number, txBytes: number): InterfaceCounters => ({
  name,
  kind,
  rxBytes,
  txBytes,
});

describe('cpu collector', () => {
  test('emits nothing on the first cycle, then the busy share of the ticks in between', async () => {
    const source = new FakeSource();
    const { state } = stateWith<never>();
    expect(await cpuCollector.collect(source, state)).toEqual([]);
    source.readings.cpu = { busy: 1000 + 250, total: 10_000 + 1000 };
    expect(await cpuCollector.collect(source, state)).toEqual([{ key: 'cpu', value: 25 }]);
  });

  test.each([
    { name: 'no tick elapsed', next: { busy: 1000, total: 10_000 } },
    { name: 'counters went backwards (CPU taken offline)', next: { busy: 900, total: 9000 } },
  ])('emits nothing when $name', async ({ next }) => {
    const source = new FakeSource();
    const { state } = stateWith<never>();
    await cpuCollector.collect(source, state);
    source.readings.cpu = next;
    expect(await cpuCollector.collect(source, state)).toEqual([]);
  });
});

describe('network collector', () => {
  test('emits nothing on the first cycle, then bytes per second summed over physical interfaces', async () => {
    const source = new FakeSource();
    const { state, clock } = stateWith<never>();
    source.readings.network = [
      nic('lo', 'loopback', 0, 0),
      nic('eth0', 'physical', 1000, 500),
      nic('eth1', 'physical', 0, 0),
      nic('docker0', 'virtual', 0, 0),
    ];
    expect(await networkCollector.collect(source, state)).toEqual([]);
    clock.ms = 2000;
    source.readings.network = [
      nic('lo', 'loopback', 999_999, 999_999),
      nic('eth0', 'physical', 5000, 2500),
      nic('eth1', 'physical', 2000, 0),
      nic('docker0', 'virtual', 888_888, 888_888),
    ];
    expect(await networkCollector.collect(source, state)).toEqual([
      { key: 'rx', value: 3000 },
      { key: 'tx', value: 1000 },
    ]);
  });

  test('falls back to every non-loopback interface where none is physical (containers)', async () => {
    const source = new FakeSource();
    const { state, clock } = stateWith<never>();
    source.readings.network = [nic('lo', 'loopback', 0, 0), nic('eth0', 'virtual', 0, 0)];
    await networkCollector.collect(source, state);
    clock.ms = 1000;
    source.readings.network = [nic('lo', 'loopback', 50, 50), nic('eth0', 'virtual', 100, 10)];
    expect(await networkCollector.collect(source, state)).toEqual([
      { key: 'rx', value: 100 },
      { key: 'tx', value: 10 },
    ]);
  });

  test('reports listed interfaces one by one besides their sum', async () => {
    const source = new FakeSource();
    const { state, clock } = stateWith<never>(['eth0', 'wlan 0']);
    source.readings.network = [
      nic('eth0', 'physical', 0, 0),
      nic('wlan 0', 'physical', 0, 0),
      nic('eth1', 'physical', 0, 0),
    ];
    await networkCollector.collect(source, state);
    clock.ms = 1000;
    source.readings.network = [
      nic('eth0', 'physical', 10, 20),
      nic('wlan 0', 'physical', 1, 2),
      nic('eth1', 'physical', 500, 500),
    ];
    expect(await networkCollector.collect(source, state)).toEqual([
      { key: 'rx', value: 11 },
      { key: 'tx', value: 22 },
      { key: 'rx', qualifier: 'eth0', value: 10 },
      { key: 'tx', qualifier: 'eth0', value: 20 },
      { key: 'rx', qualifier: 'wlan_0', value: 1 },
      { key: 'tx', qualifier: 'wlan_0', value: 2 },
    ]);
  });

  test('survives a 32-bit counter wrap without a negative or huge rate', async () => {
    const source = new FakeSource();
    const { state, clock } = stateWith<never>();
    source.readings.network = [nic('eth0', 'physical', 2 ** 32 - 1000, 0)];
    await networkCollector.collect(source, state);
    clock.ms = 1000;
    source.readings.network = [nic('eth0', 'physical', 500, 0)];
    expect(await networkCollector.collect(source, state)).toEqual([
      { key: 'rx', value: 1500 },
      { key: 'tx', value: 0 },
    ]);
  });

  test('an interface appearing later joins the sum from its second reading', async () => {
    const source = new FakeSource();
    const { state, clock } = stateWith<never>();
    source.readings.network = [nic('eth0', 'physical', 0, 0)];
    await networkCollector.collect(source, state);
    clock.ms = 1000;
    source.readings.network = [nic('eth0', 'physical', 100, 100), nic('eth1', 'physical', 1e9, 1e9)];
    expect(await networkCollector.collect(source, state)).toEqual([
      { key: 'rx', value: 100 },
      { key: 'tx', value: 100 },
    ]);
  });
});
