const POWERS = [1, 10, 100, 1000, 10_000, 100_000, 1_000_000];

/**
 * `String(value)`, character for character, about three times faster for the values reports carry
 * (a few decimals: 73.5, 0.25, 3.14), whose shortest form V8 otherwise finds by its general algorithm.
 * The fast path takes the fewest decimals k ≤ 6 whose integer `m = round(value·10^k)` gives back
 * exactly `value` (`m / 10^k` is correctly rounded, as parsing the text would be). With |m| < 10^15,
 * at most 15 significant digits, that text is the only one of its length naming this double, so it
 * is the shortest round-trip form String() prints. Anything else (exponent forms, 16–17 digits,
 * NaN, ±Infinity) goes to String().
 */
export function numberText(value: number): string {
  if (Number.isInteger(value)) return String(value);
  for (let k = 1; k < POWERS.length; k += 1) {
    const scale = POWERS[k]!;
    const m = Math.round(value * scale);
    if (m / scale === value && m < 1e15 && m > -1e15) {
      const digits = String(m < 0 ? -m : m).padStart(k + 1, '0');
      const point = digits.length - k;
      return `${m < 0 ? '-' : ''}${digits.slice(0, point)}.${digits.slice(point)}`;
    }
  }
  return String(value);
}
