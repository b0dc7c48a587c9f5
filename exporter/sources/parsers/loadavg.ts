import type { LoadAverages } from '../system-source.ts';

/** `/proc/loadavg`: "0.52 0.48 0.27 1/80 4963"; `undefined` unless the first three are numbers. */
export function parseLoadavg(text: string): LoadAverages | undefined {
  const [a, b, c] = text.trim().split(/\s+/).map(Number);
  if (a === undefined || b === undefined || c === undefined) return undefined;
  if (![a, b, c].every((n) => Number.isFinite(n) && n >= 0)) return undefined;
  return { load1: a, load5: b, load15: c };
}
