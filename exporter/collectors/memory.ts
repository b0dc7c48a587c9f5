import type { Sample } from '../../protocol/line.ts';
import type { Collector } from './collector.ts';

/** `mem` (total minus available) and, where swap exists, `swap`, both as percent. */
export const memoryCollector: Collector = {
  name: 'memory',
  defaultEnabled: true,
  keys: ['mem', 'swap'],
  async collect(source) {
    const m = await source.memory();
    const samples: Sample[] = [];
    if (m.totalBytes > 0) samples.push({ key: 'mem', value: ((m.totalBytes - m.availableBytes) / m.totalBytes) * 100 });
    if (m.swapTotalBytes > 0) {
      samples.push({ key: 'swap', value: ((m.swapTotalBytes - m.swapFreeBytes) / m.swapTotalBytes) * 100 });
    }
    return samples;
  },
};
