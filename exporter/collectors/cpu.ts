import type { CpuTimes } from '../sources/system-source.ts';
import type { Collector } from './collector.ts';

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
    const total = now.total - before.total;
    const busy = now.busy - before.busy;
    // No tick elapsed, or a CPU went offline and took its counters with it: no honest value.
    if (total <= 0 || busy < 0) return [];
    return [{ key: 'cpu', value: Math.min(100, (busy / total) * 100) }];
  },
};
