import { keyKind, QUALIFIER_PATTERN, seriesQualifier, standardKey } from '../protocol/keys.ts';
import type { Sample } from '../protocol/line.ts';
import { seriesId } from '../protocol/series-id.ts';

/**
 * Make samples safe to send: the bridge refuses a whole line for one bad value, so a NaN from a
 * broken sensor must not cost the report. Non-finite values, bad or reserved keys, bad qualifiers and
 * repeated series (`disk` and `disk@/` are one) are dropped (first wins; their ids are returned for a
 * log), exactly as the bridge's decoder would refuse them; values a rounding error outside
 * a standard key's range (cpu 100.0000001) are clamped.
 */
export function sanitizeSamples(samples: readonly Sample[]): { samples: Sample[]; dropped: string[] } {
  const kept: Sample[] = [];
  const dropped: string[] = [];
  const seen = new Set<string>();
  for (const s of samples) {
    const id = seriesId(s.key, s.qualifier);
    const spec = standardKey(s.key);
    const kind = keyKind(s.key);
    const validName =
      (kind === 'standard' || kind === 'custom') && (s.qualifier === undefined || QUALIFIER_PATTERN.test(s.qualifier));
    const qualifier = seriesQualifier(s.key, s.qualifier);
    const series = seriesId(s.key, qualifier);
    if (!validName || !Number.isFinite(s.value) || seen.has(series)) {
      dropped.push(id);
      continue;
    }
    seen.add(series);
    const value = spec === undefined ? s.value : Math.min(spec.max, Math.max(spec.min, s.value));
    kept.push(value === s.value ? s : { ...s, value });
  }
  return { samples: kept, dropped };
}
