/** Median and spread of repeated measurements. */
export interface Summary {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly n: number;
}

export function summarise(values: readonly number[]): Summary {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return { median: Number.NaN, min: Number.NaN, max: Number.NaN, n: 0 };
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]!, n: sorted.length };
}

/** Nearest-rank percentile (p in 0..100) of raw observations. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

/** A number with about 3 significant digits and thousands separators: 212 345 -> "212 000". */
export function num(value: number, digits = 3): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (value === 0) return '0';
  const magnitude = Math.floor(Math.log10(Math.abs(value)));
  const decimals = Math.max(0, digits - 1 - magnitude);
  const rounded = Number(value.toPrecision(digits));
  const text = rounded.toFixed(Math.min(decimals, 4));
  const [whole = '', fraction = ''] = text.split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
  const short = fraction.replace(/0+$/, '');
  return short === '' ? grouped : `${grouped}.${short}`;
}

/** Bytes as KB or MB (binary units), 3 significant digits. */
export function bytes(value: number): string {
  return value >= MB ? `${num(value / MB)} MB` : `${num(value / 1024)} KB`;
}

/** "median (min–max)" of a summary, the half-range as ± when the samples agree closely. */
export function show(s: Summary, unit = '', digits = 3): string {
  if (s.n === 0) return 'n/a';
  if (s.n === 1) return `${num(s.median, digits)}${unit}`;
  return `${num(s.median, digits)}${unit} (${num(s.min, digits)}–${num(s.max, digits)})`;
}

export function ratio(a: number, b: number): string {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) return 'n/a';
  const r = a / b;
  return r >= 10 ? `${num(r, 2)}×` : `${r.toFixed(2)}×`;
}

export const MB = 1024 * 1024;
