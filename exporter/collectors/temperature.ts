import type { Collector } from './collector.ts';

/**
 * `temp`: the hottest sensor, in whole degrees C (board sensors resolve 1 °C, and the byte saved keeps
 * the default report within 128 bytes). On by default: where the machine exposes no sensor (most VMs)
 * the first reading finds none and the collector stops asking, so it costs nothing there; sensors
 * do not appear at run time.
 */
export const temperatureCollector: Collector<'none'> = {
  name: 'temperature',
  defaultEnabled: true,
  keys: ['temp'],
  async collect(source, state) {
    if (state.previous === 'none') return [];
    const readings = await source.temperatures();
    if (readings.length === 0) state.previous = 'none';
    const values = readings.map((t) => t.celsius).filter((c) => Number.isFinite(c));
    if (values.length === 0) return [];
    return [{ key: 'temp', value: Math.round(Math.max(...values)) }];
  },
};
