import type { CpuTimes } from '../sources/system-source.ts';
import type { Collector } from './collector.ts';

/**
 * Percent of the time that passed between two readings spent in `part` (busy, iowait, steal);
 * `undefined` when no tick elapsed or a counter went back (a CPU went offline and took its counters
 * with it): no honest value.
 */
export function sharePercent(before: CpuTimes, now: CpuTimes, part: (t: CpuTimes) => number): number | undefined {
  const total = now.total - before.total;
  const spent = part(now) - part(before);
  if (total <= 0 || spent < 0) return undefined;
  return Math.min(100, (spent / total) * 100);
}

/**
 * `cpu`: busy share of all cores since the previous cycle. The first cycle has no previous
 * reading and emits nothing; the agent runs one priming cycle at start, so in practice only
 * `--once` waits for a short second reading.
 */
export const cpuCollector: Collector<CpuTimes> = {
  name: 'cpu',
  defaultEnabled: true,
  keys: ['cpu'],
  async collect(source, state) {
    const now = await source.cpuTimes();
    const before = state.previous;
    state.previous = now;
    if (before === undefined) return [];
    const busy = sharePercent(before, now, (t) => t.busy);
    return busy === undefined ? [] : [{ key: 'cpu', value: busy }];
  },
};
