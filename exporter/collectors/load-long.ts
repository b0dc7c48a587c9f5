import type { Collector } from './collector.ts';

/**
 * `load5` and `load15`. Off by default: with them the standard report no longer fits 128 bytes,
 * and downstream can average load1 over any window.
 */
export const loadLongCollector: Collector = {
  name: 'load-long',
  defaultEnabled: false,
  keys: ['load5', 'load15'],
  async collect(source) {
    const load = await source.loadAverages();
    return load === undefined
      ? []
      : [
          { key: 'load5', value: load.load5 },
          { key: 'load15', value: load.load15 },
        ];
  },
};
