import type { Sample } from '../../protocol/line.ts';
import { toQualifier } from '../qualifier.ts';
import { RateTracker } from '../rates.ts';
import type { InterfaceCounters } from '../sources/system-source.ts';
import type { Collector } from './collector.ts';

/**
 * Which interfaces count. `auto`: the physical ones, since bridges, VLANs and veth pairs carry the
 * same bytes again; where there is none (containers, some VMs), every non-loopback one.
 */
export function selectInterfaces(
  counters: readonly InterfaceCounters[],
  wanted: 'auto' | readonly string[],
): InterfaceCounters[] {
  if (wanted !== 'auto') return counters.filter((c) => wanted.includes(c.name));
  const physical = counters.filter((c) => c.kind === 'physical');
  return physical.length > 0 ? physical : counters.filter((c) => c.kind !== 'loopback');
}

/**
 * `rx`/`tx` in bytes per second since the previous cycle, summed over the selected interfaces;
 * with `--interfaces` also `rx@<if>`/`tx@<if>` each. Rates are summed per interface, so one
 * interface's counter reset does not disturb the total. Nothing on the first cycle.
 */
export const networkCollector: Collector<RateTracker> = {
  name: 'network',
  defaultEnabled: true,
  keys: ['rx', 'tx', 'rx@<interface>', 'tx@<interface>'],
  async collect(source, state) {
    const selected = selectInterfaces(await source.networkCounters(), state.config.interfaces);
    const counters = new Map<string, number>();
    for (const c of selected) {
      counters.set(`rx ${c.name}`, c.rxBytes);
      counters.set(`tx ${c.name}`, c.txBytes);
    }
    state.previous ??= new RateTracker();
    const rates = state.previous.update(counters, state.config.now());
    if (rates.size === 0) return [];

    const samples: Sample[] = [];
    for (const key of ['rx', 'tx'] as const) {
      let sum = 0;
      for (const c of selected) sum += rates.get(`${key} ${c.name}`) ?? 0;
      samples.push({ key, value: sum });
    }
    if (state.config.interfaces !== 'auto') {
      for (const c of selected) {
        const qualifier = toQualifier(c.name);
        const rx = rates.get(`rx ${c.name}`);
        const tx = rates.get(`tx ${c.name}`);
        if (qualifier === undefined || rx === undefined || tx === undefined) continue;
        samples.push({ key: 'rx', qualifier, value: rx }, { key: 'tx', qualifier, value: tx });
      }
    }
    return samples;
  },
};
