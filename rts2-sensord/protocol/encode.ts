import type { CommandReturn } from './return-codes.ts';
import type { ValueType } from './value-flags.ts';

/** A value as the table holds it: numbers for numeric types (NaN allowed), text, or a boolean. */
export type Rts2Scalar = number | string | boolean;

const CONTROL = /[\x00-\x1f\x7f]/g;

/**
 * RTS2 strings cannot contain `"` or a newline (no escapes exist, docs/rts2-wire.md §2): both, and other
 * control bytes, are replaced so foreign text (node names, mounts) can never break a line.
 */
export function cleanText(text: string): string {
  return text.replace(/"/g, "'").replace(CONTROL, '?');
}

export function quote(text: string): string {
  return `"${cleanText(text)}"`;
}

/** C's `%.20le`, which RTS2 uses for doubles and times: `8.60000000000000000000e+01`, `nan`, `inf`. */
export function formatDouble(value: number): string {
  if (Number.isNaN(value)) return 'nan';
  if (!Number.isFinite(value)) return value > 0 ? 'inf' : '-inf';
  const text = value.toExponential(20);
  const e = text.indexOf('e');
  const exponent = text.slice(e + 2).padStart(2, '0');
  // toExponential drops the sign of -0; printf keeps it.
  const sign = Object.is(value, -0) ? '-' : '';
  return `${sign}${text.slice(0, e + 2)}${exponent}`;
}

/** The value part of a `V` line for a value of `type` (docs/rts2-wire.md §5). */
export function formatValue(type: ValueType, value: Rts2Scalar): string {
  switch (type) {
    case 'double':
    case 'time':
      return formatDouble(typeof value === 'number' ? value : Number.NaN);
    case 'integer':
      return typeof value === 'number' && Number.isFinite(value) ? String(Math.trunc(value)) : '0';
    case 'bool':
      return value === true ? '1' : '0';
    case 'string':
      return quote(String(value));
  }
}

/** `E <flags> "<name>" "<description>" ` — the trailing space is RTS2's own (`Value::sendTypeMetaInfo`). */
export function metaLine(flags: number, name: string, description: string): string {
  return `E ${flags | 0} ${quote(name)} ${quote(description)} `;
}

export function valueLine(name: string, formatted: string): string {
  return `V ${name} ${formatted}`;
}

/** `S <state>` or `S <state> "<text>"`; the state word is unsigned 32-bit. */
export function stateLine(state: number, text?: string): string {
  return text === undefined ? `S ${state >>> 0}` : `S ${state >>> 0} ${quote(text)}`;
}

export function bopLine(state: number, bop: number): string {
  return `B ${state >>> 0} ${bop >>> 0}`;
}

/**
 * `M <sec> <usec> <origin> <type> <text>`; the text runs to the end of the line, so `\r`/`\n` are
 * written as the two-character escapes `Message::toConn` uses.
 */
export function messageLine(timeMs: number, origin: string, type: number, text: string): string {
  const sec = Math.floor(timeMs / 1000);
  const usec = Math.round((timeMs - sec * 1000) * 1000);
  const body = text.replace(/\r/g, '\\r').replace(/\n/g, '\\n').replace(CONTROL, '?');
  return `M ${sec} ${usec} ${origin} ${type} ${body}`;
}

/**
 * `+0 OK`, `+1 …`, `-2 …`: explicit sign except for zero (`Connection::sendCommandEnd`). The text
 * may echo a client's command word, so anything but printable ASCII becomes `?`.
 */
export function returnLine(ret: CommandReturn): string {
  const code = ret.code === 0 ? '+0' : ret.code > 0 ? `+${ret.code}` : String(ret.code);
  return `${code} ${ret.text.replace(/[^\x20-\x7e]/g, '?')}`;
}
