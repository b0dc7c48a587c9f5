import type { Collector } from './collector.ts';

/** `procs`: number of processes (not threads). */
export const processesCollector: Collector = {
  name: 'processes',
  defaultEnabled: true,
  keys: ['procs'],
  async collect(source) {
    return [{ key: 'procs', value: await source.processCount() }];
  },
};
