const TWO_32 = 2 ** 32;
const TWO_31 = 2 ** 31;

/**
 * How much a cumulative counter grew. A decrease is either a 32-bit counter wrapping (older kernels
 * and drivers: it was in the upper half of 2^32 and is now in the lower) or a reset (driver
 * reload, interface re-created), which counts from zero as Prometheus `rate()` does. A 64-bit
 * counter never wraps in practice.
 */
export function counterIncrease(previous: number, current: number): number {
  if (current >= previous) return current - previous;
  if (previous < TWO_32 && previous >= TWO_31 && current < TWO_31) return TWO_32 - previous + current;
  return current;
}

/** Per-second rates of named counters between consecutive readings. */
export class RateTracker {
  private last: { at: number; values: ReadonlyMap<string, number> } | undefined;

  /**
   * Rates since the previous call, for names present both times; `at` is a monotonic time in
   * milliseconds. Names absent now are forgotten, so interfaces that come and go (veth) do not
   * accumulate. The first call returns no rates.
   */
  update(values: ReadonlyMap<string, number>, at: number): Map<string, number> {
    const rates = new Map<string, number>();
    const last = this.last;
    this.last = { at, values };
    if (last === undefined || at <= last.at) return rates;
    const seconds = (at - last.at) / 1000;
    for (const [name, value] of values) {
      const before = last.values.get(name);
      if (before !== undefined) rates.set(name, counterIncrease(before, value) / seconds);
    }
    return rates;
  }
}
