import { CUSTOM_KEY_PATTERN, QUALIFIER_PATTERN, standardKey } from '../protocol/keys.ts';
import type { Sample } from '../protocol/line.ts';

/**
 * Make samples safe to send: the bridge refuses a whole line for one bad value, so a NaN from a
 * broken sensor must not cost the report. Non-finite values, bad keys or qualifiers and repeated
 * keys are dropped (first wins; their ids are returned for a log); values a rounding error outside
 * a standard key's range (cpu 100.0000001) are clamped.
 */
export function sanitizeSamples(samples: readonly Sample[]): { samples: Sample[]; dropped: string[] } {
  const kept: Sample[] = [];
  const dropped: string[] = [];
  const seen = new Set<string>();
  for (const s of samples) {
    const id = s.qualifier === undefined ? s.key : `${s.key}@${s.qualifier}`;
    const spec = standardKey(s.key);
    const validName =
      (spec !== undefined || CUSTOM_KEY_PATTERN.test(s.key)) && (s.qualifier === undefined || QUALIFIER_PATTERN.test(s.qualifier));
    if (!validName || !Number.isFinite(s.value) || seen.has(id)) {
      dropped.push(id);
      continue;
    }
    seen.add(id);
    const value = spec === undefined ? s.value : Math.min(spec.max, Math.max(spec.min, s.value));
    kept.push(value === s.value ? s : { ...s, value });
  }
  return { samples: kept, dropped };
}
