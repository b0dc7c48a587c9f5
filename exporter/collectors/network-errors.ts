import type { Sample } from '../../protocol/line.ts';
import { toQualifier } from '../qualifier.ts';
import { RateTracker } from '../rates.ts';
import type { Collector } from './collector.ts';
import { selectInterfaces } from './network.ts';

const KEYS = [
  ['rx_errors', 'rxErrors'],
  ['rx_drops', 'rxDrops'],
  ['tx_errors', 'txErrors'],
  ['tx_drops', 'txDrops'],
] as const;

/**
 * `rx_errors` `rx_drops` `tx_errors` `tx_drops`: packets per second since the previous cycle, summed
 * over the interfaces the network collector sums (with `--interfaces`, also per interface). Off by
 * default: four more keys do not fit the standard report. A bad cable or duplex mismatch shows here
 * long before the byte rates look wrong.
 */
export const networkErrorsCollector: Collector<RateTracker> = {
  name: 'network-errors',
  defaultEnabled: false,
  keys: [...KEYS.map(([k]) => k), ...KEYS.map(([k]) => `${k}@<interface>`)],
  async collect(source, state) {
    const selected = selectInterfaces(await source.networkCounters(), state.config.interfaces).filter(
      (c) => c.errors !== undefined,
    );
    const counters = new Map<string, number>();
    for (const c of selected) for (const [key, field] of KEYS) counters.set(`${key} ${c.name}`, c.errors![field]);
    state.previous ??= new RateTracker();
    const rates = state.previous.update(counters, state.config.now());
    if (rates.size === 0) return [];
    const samples: Sample[] = [];
    for (const [key] of KEYS) {
      let sum = 0;
      for (const c of selected) sum += rates.get(`${key} ${c.name}`) ?? 0;
      samples.push({ key, value: sum });
    }
    if (state.config.interfaces !== 'auto') {
      for (const c of selected) {
        const qualifier = toQualifier(c.name);
        if (qualifier === undefined) continue;
        for (const [key] of KEYS) {
          const rate = rates.get(`${key} ${c.name}`);
          if (rate !== undefined) samples.push({ key, qualifier, value: rate });
        }
      }
    }
    return samples;
  },
};
