/**
 * The flags word of an `E` line (`include/value.h`), docs/rts2-wire.md §5: base type in the low bits,
 * display type, writable, and the WARNING/ERROR bits rts2-mon colours yellow/red.
 */
export const VALUE_TYPE = {
  string: 0x1,
  integer: 0x2,
  time: 0x3,
  double: 0x4,
  bool: 0x6,
} as const;

export type ValueType = keyof typeof VALUE_TYPE;

/** How clients render a number (`RTS2_DT_*`). */
export const DISPLAY = {
  plain: 0,
  percents: 0x00050000,
  bytesize: 0x00080000,
  timeInterval: 0x000a0000,
} as const;

export type Display = keyof typeof DISPLAY;

export const RTS2_VALUE_WRITABLE = 0x02000000;
export const RTS2_VALUE_WARNING = 0x10000000;
export const RTS2_VALUE_ERROR = 0x20000000;
export const RTS2_VALUE_ERRORMASK = 0x30000000;

/** The limit class of a value; `good` leaves both error bits clear. */
export type ErrorClass = 'good' | 'warning' | 'error';

const CLASS_BITS: Record<ErrorClass, number> = { good: 0, warning: RTS2_VALUE_WARNING, error: RTS2_VALUE_ERROR };

/** Flags of an `E` line. Every bit used stays below 2^31, so the signed decimal RTS2 prints is positive. */
export function valueFlags(type: ValueType, display: Display, writable: boolean, errorClass: ErrorClass): number {
  return VALUE_TYPE[type] | DISPLAY[display] | (writable ? RTS2_VALUE_WRITABLE : 0) | CLASS_BITS[errorClass];
}

/** The class an `E` line's flags announce. */
export function errorClassOf(flags: number): ErrorClass {
  const bits = flags & RTS2_VALUE_ERRORMASK;
  if (bits === RTS2_VALUE_ERROR) return 'error';
  return bits === RTS2_VALUE_WARNING ? 'warning' : 'good';
}
