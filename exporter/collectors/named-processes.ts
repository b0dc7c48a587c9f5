import type { Sample } from '../../protocol/line.ts';
import { toQualifier } from '../qualifier.ts';
import type { Collector } from './collector.ts';

/**
 * `proc_count@<name>` for each `--process` name: how many processes of that name run, 0 when none,
 * so that a stopped daemon is a value an alert matches. On by default but quiet without `--process`,
 * so the standard report is unchanged.
 */
export const namedProcessesCollector: Collector = {
  name: 'named-processes',
  defaultEnabled: true,
  keys: ['proc_count@<process>'],
  async collect(source, state) {
    const names = state.config.processes ?? [];
    if (names.length === 0) return [];
    const counts = await source.processCounts(names);
    const samples: Sample[] = [];
    for (const name of names) {
      const qualifier = toQualifier(name);
      if (qualifier !== undefined) samples.push({ key: 'proc_count', qualifier, value: counts.get(name) ?? 0 });
    }
    return samples;
  },
};
