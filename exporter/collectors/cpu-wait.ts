import type { Sample } from '../../protocol/line.ts';
import type { CpuTimes } from '../sources/system-source.ts';
import type { Collector } from './collector.ts';
import { sharePercent } from './cpu.ts';

/**
 * `iowait` and `steal`, percent of all cores since the previous cycle (the `iowait` and `steal`
 * columns of /proc/stat). High iowait is a disk that holds up the acquisition; steal is a virtual
 * machine whose host is overcommitted. Off by default: two more keys do not fit the standard report.
 * Linux only: node:os, the other platforms' source, has neither counter.
 */
export const cpuWaitCollector: Collector<CpuTimes> = {
  name: 'cpu-wait',
  defaultEnabled: false,
  keys: ['iowait', 'steal'],
  async collect(source, state) {
    const now = await source.cpuTimes();
    const before = state.previous;
    state.previous = now;
    if (before === undefined) return [];
    const samples: Sample[] = [];
    for (const key of ['iowait', 'steal'] as const) {
      if (now[key] === undefined || before[key] === undefined) continue;
      const value = sharePercent(before, now, (t) => t[key] ?? 0);
      if (value !== undefined) samples.push({ key, value });
    }
    return samples;
  },
};
