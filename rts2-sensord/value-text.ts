/**
 * How per-node figures read in rts2-mon. RTS2's display types cannot say "/s" (`RTS2_DT_BYTESIZE`
 * is binary, `RTS2_DT_KMG` decimal without a unit) and print `nan%` or `na (nan)` for no data, so
 * the device sends these figures as strings it formats itself (docs/rts2.md, "Units").
 */

/** No current data. ASCII, so every terminal and rts2-mon build shows it as it is. */
export const NO_DATA = '--';

const RATE_UNITS = ['B/s', 'kB/s', 'MB/s', 'GB/s', 'TB/s', 'PB/s'] as const;

/** `12.3%` */
export function percentText(value: number): string {
  return Number.isFinite(value) ? `${value.toFixed(1)}%` : NO_DATA;
}

/** Decimal units, three significant digits: `512 B/s`, `976.6 kB/s` -> `977 kB/s`, `1.25 MB/s`. */
export function rateText(bytesPerSecond: number): string {
  if (!Number.isFinite(bytesPerSecond)) return NO_DATA;
  let v = Math.max(0, bytesPerSecond);
  let unit = 0;
  while (v >= 999.5 && unit < RATE_UNITS.length - 1) {
    v /= 1000;
    unit += 1;
  }
  const digits = unit === 0 || v >= 99.95 ? 0 : v >= 9.995 ? 1 : 2;
  return `${v.toFixed(digits)} ${RATE_UNITS[unit]}`;
}

/** Whole seconds with their unit: `0 s`, `75 s`, `86400 s`. */
export function secondsText(seconds: number): string {
  return Number.isFinite(seconds) ? `${Math.max(0, Math.round(seconds))} s` : NO_DATA;
}

/** A probe's answer (agentless devices): `up` or `down`. */
export function probeUpText(value: number): string {
  return Number.isFinite(value) ? (value >= 1 ? 'up' : 'down') : NO_DATA;
}

/** A probe's round trip, three significant digits: `0.0123 s`, `1.5 s`. */
export function roundTripText(seconds: number): string {
  return Number.isFinite(seconds) ? `${Number(Math.max(0, seconds).toPrecision(3))} s` : NO_DATA;
}
