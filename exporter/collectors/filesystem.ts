import type { Sample } from '../../protocol/line.ts';
import { toQualifier } from '../qualifier.ts';
import type { Collector } from './collector.ts';

/**
 * `disk` for the root filesystem and `disk@<mount>` for each other one. Percent as `df` shows it:
 * used / (used + available), so blocks reserved for root count as not available.
 */
export const filesystemCollector: Collector = {
  name: 'filesystem',
  defaultEnabled: true,
  keys: ['disk', 'disk@<mount>'],
  async collect(source) {
    const samples: Sample[] = [];
    for (const fs of await source.filesystems()) {
      const usable = fs.usedBytes + fs.availableBytes;
      if (usable <= 0) continue;
      const value = (fs.usedBytes / usable) * 100;
      const qualifier = toQualifier(fs.mount);
      if (fs.root) samples.push({ key: 'disk', value });
      else if (qualifier !== undefined) samples.push({ key: 'disk', qualifier, value });
    }
    return samples;
  },
};
