import type { Collector } from './collector.ts';

/** `load1`; absent on Windows, which has no load average. load5/load15 are in `load-long`. */
export const loadCollector: Collector = {
  name: 'load',
  defaultEnabled: true,
  keys: ['load1'],
  async collect(source) {
    const load = await source.loadAverages();
    return load === undefined ? [] : [{ key: 'load1', value: load.load1 }];
  },
};
