import type { Collector } from './collector.ts';

/** `temp`: the hottest sensor, deg C. Nothing when the machine exposes no sensor (most VMs). */
export const temperatureCollector: Collector = {
  name: 'temperature',
  defaultEnabled: false,
  keys: ['temp'],
  async collect(source) {
    const readings = (await source.temperatures()).filter((t) => Number.isFinite(t.celsius));
    if (readings.length === 0) return [];
    return [{ key: 'temp', value: Math.max(...readings.map((t) => t.celsius)) }];
  },
};
