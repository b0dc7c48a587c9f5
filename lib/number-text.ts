/** 10^d for each count of decimals `fractionDigits` can answer. */
export const POWERS_OF_TEN: readonly number[] = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000];
const MAX_SCALED = 1e15;

/**
 * How many digits after the point `String(value)` has when it is an integer or a short decimal (most
 * values reports carry: 73.5, 0.25, 3.14), else -1. `d` is the fewest decimals ≤ 6 whose integer
 * m = round(value·10^d) gives back exactly `value` (m/10^d is correctly rounded, as parsing the text
 * would be). With |m| < 10^15, at most 15 significant digits, that text is the only one of its length
 * naming this double, so it is the shortest round-trip form JavaScript writes (fixed notation, as
 * 10^-6 ≤ |value| < 10^15). Exponent forms, 16–17 digits, NaN and ±Infinity give -1.
 */
export function fractionDigits(value: number): number {
  for (let d = 0; d < POWERS_OF_TEN.length; d += 1) {
    const scale = POWERS_OF_TEN[d]!;
    const m = Math.round(value * scale);
    if (!(m < MAX_SCALED && m > -MAX_SCALED)) return -1;
    if (m / scale === value) return d;
  }
  return -1;
}

/**
 * `String(value)`, character for character, about three times faster for short decimals, whose
 * shortest form V8 otherwise finds by its general algorithm (integers and the rest go to String()).
 * The /metrics renderer writes the same digits straight into bytes (bridge/expose/node-exposition.ts).
 */
export function numberText(value: number): string {
  const k = fractionDigits(value);
  if (k <= 0) return String(value);
  const m = Math.round(value * POWERS_OF_TEN[k]!);
  const digits = String(m < 0 ? -m : m).padStart(k + 1, '0');
  const point = digits.length - k;
  return `${m < 0 ? '-' : ''}${digits.slice(0, point)}.${digits.slice(point)}`;
}
