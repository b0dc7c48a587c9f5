import type { Sample } from '../../protocol/line.ts';
import type { CpuTimes } from '../sources/system-source.ts';
import type { Collector } from './collector.ts';
import { sharePercent } from './cpu.ts';

/**
 * Per-core values a report carries at most: 128 × `cpu@127=99.9 ` is about 1.7 KB, well within the
 * bridge's 4096-byte line limit and half its 256 series per node. Cores beyond it are left out
 * one by one (the all-cores `cpu` still counts them).
 */
export const MAX_CORE_VALUES = 128;

/**
 * `cpu@<core>`: busy share of each core since the previous cycle. Off by default, so the standard
 * report of a 128-core host is as short as any other's: a host where one stuck thread matters (a
 * single-threaded camera daemon at 100 % of one core is only 1.6 % of all 64) turns it on.
 */
export const cpuCoresCollector: Collector<ReadonlyMap<string, CpuTimes>> = {
  name: 'cpu-cores',
  defaultEnabled: false,
  keys: ['cpu@<core>'],
  async collect(source, state) {
    const now = await source.cpuCoreTimes();
    const before = state.previous;
    state.previous = now;
    if (before === undefined) return [];
    const samples: Sample[] = [];
    for (const [core, times] of now) {
      if (samples.length === MAX_CORE_VALUES) break;
      const previous = before.get(core);
      const busy = previous === undefined ? undefined : sharePercent(previous, times, (t) => t.busy);
      if (busy !== undefined) samples.push({ key: 'cpu', qualifier: core, value: busy });
    }
    return samples;
  },
};
