import {
  LAMOST_ALIASES,
  MAX_QUALIFIER_LENGTH,
  RESERVED_KEYS,
  STANDARD_KEYS,
  standardKey,
  type StandardKey,
} from './keys.ts';
import type { RejectReason } from './reject-reasons.ts';
import { seriesId } from './series-id.ts';

/** One value of a report: `key[@qualifier]=value`. */
export interface Sample {
  /** Canonical key (LAMOST aliases already mapped). */
  readonly key: string;
  /** Device, mount, interface or sensor; absent for the node-wide value (and for the key's default, `disk@/`). */
  readonly qualifier?: string;
  readonly value: number;
}

/** One line of the wire protocol, decoded. */
export interface Report {
  readonly node: string;
  /** The agent's reading time, unix seconds (may be fractional). */
  readonly timestamp: number;
  readonly samples: readonly Sample[];
}

export type ParseResult =
  | { readonly ok: true; readonly report: Report }
  | { readonly ok: false; readonly reason: RejectReason; readonly detail: string };

// Character classes of the protocol, one table lookup per character (the scanner below).
const NODE_FIRST = 1; // [A-Za-z0-9_]
const NODE_REST = 2; // [A-Za-z0-9_.:-]
const KEY_FIRST = 4; // [a-z]
const KEY_REST = 8; // [a-z0-9_]
const DIGIT = 16;
const CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c += 1) {
  const ch = String.fromCharCode(c);
  const alnum = /[A-Za-z0-9_]/.test(ch);
  CLASS[c] =
    (alnum ? NODE_FIRST | NODE_REST : 0) |
    (/[.:-]/.test(ch) ? NODE_REST : 0) |
    (/[a-z]/.test(ch) ? KEY_FIRST : 0) |
    (/[a-z0-9_]/.test(ch) ? KEY_REST : 0) |
    (/[0-9]/.test(ch) ? DIGIT : 0);
}
const MAX_NODE_LENGTH = 64;
const MAX_KEY_LENGTH = 32;
/** Below this many samples a line's duplicates are found by comparing pairs; from it on, through a Set. */
const PAIRWISE_DUPLICATES = 16;

/** What a key as sent stands for: its canonical key (aliases mapped) and its standard definition. */
interface KnownKey {
  readonly sent: string;
  readonly key: string;
  readonly spec: StandardKey;
}
/** Standard keys and aliases by their first character, matched in the line without slicing it. */
const KNOWN_BY_FIRST: KnownKey[][] = Array.from({ length: 128 }, () => []);
for (const spec of STANDARD_KEYS) KNOWN_BY_FIRST[spec.key.charCodeAt(0)]!.push({ sent: spec.key, key: spec.key, spec });
for (const [alias, key] of LAMOST_ALIASES) {
  KNOWN_BY_FIRST[alias.charCodeAt(0)]!.push({ sent: alias, key, spec: standardKey(key)! });
}

function knownKey(line: string, start: number, end: number): KnownKey | undefined {
  const candidates = KNOWN_BY_FIRST[line.charCodeAt(start)]!;
  for (let k = 0; k < candidates.length; k += 1) {
    const c = candidates[k]!;
    if (c.sent.length === end - start && line.startsWith(c.sent, start)) return c;
  }
  return undefined;
}

function reject(reason: RejectReason, detail: string): ParseResult {
  return { ok: false, reason, detail };
}

/** Exact powers of ten: a mantissa of at most 15 digits times or over one of these is correctly rounded. */
const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));
const MAX_FAST_DIGITS = 15;

/**
 * The value of line[start, end) if it is a plain decimal, `[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?`
 * (`Number()` alone would also take "0x1f", "Infinity", " 1" and ""), else NaN. Exactly what
 * `Number()` gives: computed from the digits when that is exact (at most 15 significant digits and
 * a power of ten up to 22, one correctly rounded operation), else by `Number()` itself.
 */
function decimalValue(line: string, start: number, end: number): number {
  if (start >= end) return NaN;
  let i = start;
  let c = line.charCodeAt(i);
  const negative = c === 45;
  if (c === 43 || c === 45) c = line.charCodeAt((i += 1));
  let digits = 0;
  let mantissa = 0;
  let scale = 0;
  while (i < end && (CLASS[c]! & DIGIT) !== 0) {
    digits += 1;
    mantissa = mantissa * 10 + (c - 48);
    c = line.charCodeAt((i += 1));
  }
  if (i < end && c === 46) {
    c = line.charCodeAt((i += 1));
    while (i < end && (CLASS[c]! & DIGIT) !== 0) {
      digits += 1;
      scale -= 1;
      mantissa = mantissa * 10 + (c - 48);
      c = line.charCodeAt((i += 1));
    }
  }
  if (digits === 0) return NaN;
  if (i < end && (c === 101 || c === 69)) {
    c = line.charCodeAt((i += 1));
    const minus = c === 45;
    if (i < end && (c === 43 || c === 45)) c = line.charCodeAt((i += 1));
    let exponentDigits = 0;
    let exponent = 0;
    while (i < end && (CLASS[c]! & DIGIT) !== 0) {
      exponentDigits += 1;
      if (exponent < 1e6) exponent = exponent * 10 + (c - 48);
      c = line.charCodeAt((i += 1));
    }
    if (exponentDigits === 0) return NaN;
    scale += minus ? -exponent : exponent;
  }
  if (i !== end) return NaN;
  if (digits > MAX_FAST_DIGITS || scale > 22 || scale < -22) return Number(line.slice(start, end));
  const magnitude = scale >= 0 ? mantissa * POW10[scale]! : mantissa / POW10[-scale]!;
  return negative ? -magnitude : magnitude;
}

/** Whether line[start, end) is a node name (NODE_PATTERN). */
function isNodeName(line: string, start: number, end: number): boolean {
  if (end - start > MAX_NODE_LENGTH || (CLASS[line.charCodeAt(start)]! & NODE_FIRST) === 0) return false;
  for (let i = start + 1; i < end; i += 1) if ((CLASS[line.charCodeAt(i)]! & NODE_REST) === 0) return false;
  return true;
}

/** Whether line[start, end) has the form of a custom key (CUSTOM_KEY_PATTERN); every standard key and alias has. */
function isKeyForm(line: string, start: number, end: number): boolean {
  if (end <= start || end - start > MAX_KEY_LENGTH || (CLASS[line.charCodeAt(start)]! & KEY_FIRST) === 0) return false;
  for (let i = start + 1; i < end; i += 1) if ((CLASS[line.charCodeAt(i)]! & KEY_REST) === 0) return false;
  return true;
}

function isDuplicate(samples: readonly Sample[], key: string, qualifier: string | undefined): boolean {
  for (let k = 0; k < samples.length; k += 1) {
    const s = samples[k]!;
    if (s.key === key && s.qualifier === qualifier) return true;
  }
  return false;
}

/**
 * Decode one line (without its newline; a trailing `\r` is tolerated). Never throws: every
 * failure is a reason from the closed set, plus a short human detail for logs.
 *
 * One left-to-right scan with index arithmetic: no split, no regular expression and no closure per
 * line, one string per node, timestamp text, key, qualifier and value. The reasons and details are
 * those of the split-and-regex decoder it replaced, proven equal by test/unit/protocol/line-scanner.test.ts.
 */
export function parseLine(input: string): ParseResult {
  const result = scanLine(input);
  // Printable ASCII plus the field separator; anything else (NUL, DEL, UTF-8) is not protocol v1, and
  // that is the reason given whatever else is wrong. The scan accepts only printable characters in
  // every part of a line it takes (the qualifier checked for it), so only a refused line is checked.
  if (!result.ok && result !== CONTROL && hasControl(input)) return CONTROL;
  return result;
}

const CONTROL: ParseResult = Object.freeze({
  ok: false,
  reason: 'malformed',
  detail: 'control or non-ASCII character',
});

/** Whether the line (without one trailing `\r`) holds a character outside printable ASCII. */
function hasControl(input: string): boolean {
  const end = input.charCodeAt(input.length - 1) === 13 ? input.length - 1 : input.length;
  for (let i = 0; i < end; i += 1) {
    const c = input.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return true;
  }
  return false;
}

function scanLine(input: string): ParseResult {
  const end = input.charCodeAt(input.length - 1) === 13 ? input.length - 1 : input.length;
  let i = 0;
  while (i < end && input.charCodeAt(i) === 32) i += 1;
  const nodeStart = i;
  while (i < end && input.charCodeAt(i) !== 32) i += 1;
  const nodeEnd = i;
  while (i < end && input.charCodeAt(i) === 32) i += 1;
  const timeStart = i;
  while (i < end && input.charCodeAt(i) !== 32) i += 1;
  const timeEnd = i;
  while (i < end && input.charCodeAt(i) === 32) i += 1;
  if (i === end || timeStart === timeEnd) {
    return reject('malformed', 'expected "<node> <unix-seconds> <key>=<value> ..."');
  }
  if (!isNodeName(input, nodeStart, nodeEnd)) {
    return reject('bad_node', `node name "${input.slice(nodeStart, Math.min(nodeEnd, nodeStart + 70))}"`);
  }
  const timestamp = input.charCodeAt(timeStart) === 45 ? NaN : decimalValue(input, timeStart, timeEnd);
  if (!(timestamp > 0 && timestamp !== Infinity)) {
    return reject('bad_timestamp', `timestamp "${input.slice(timeStart, Math.min(timeEnd, timeStart + 40))}"`);
  }

  const samples: Sample[] = [];
  let seen: Set<string> | undefined;
  while (i < end) {
    const fieldStart = i;
    let eq = -1;
    let at = -1;
    for (; i < end; i += 1) {
      const c = input.charCodeAt(i);
      if (c === 32) break;
      if (c === 61) {
        if (eq < 0) eq = i;
      } else if (c === 64 && at < 0 && eq < 0) at = i;
    }
    const fieldEnd = i;
    while (i < end && input.charCodeAt(i) === 32) i += 1;
    if (eq <= fieldStart) {
      return reject(
        'malformed',
        `field "${input.slice(fieldStart, Math.min(fieldEnd, fieldStart + 70))}" is not key=value`,
      );
    }
    const keyEnd = at < 0 ? eq : at;
    if (!isKeyForm(input, fieldStart, keyEnd)) {
      return reject('bad_key', `key "${input.slice(fieldStart, Math.min(keyEnd, fieldStart + 40))}"`);
    }
    const known = knownKey(input, fieldStart, keyEnd);
    const key = known === undefined ? input.slice(fieldStart, keyEnd) : known.key;
    if (known === undefined && RESERVED_KEYS.has(key)) {
      return reject('reserved_key', `key "${key}" is a name the storage layout uses`);
    }
    // The qualifier is any visible ASCII but `=` (the first `=` ends the name) and the only part no
    // character class checks: a control character in it refuses the line as parseLine would.
    if (at >= 0) {
      for (let q = at + 1; q < eq; q += 1) {
        const c = input.charCodeAt(q);
        if (c < 0x21 || c > 0x7e) return CONTROL;
      }
      if (eq - at - 1 < 1 || eq - at - 1 > MAX_QUALIFIER_LENGTH) {
        return reject('bad_key', `qualifier "${input.slice(at + 1, Math.min(eq, at + 71))}"`);
      }
    }
    const value = decimalValue(input, eq + 1, fieldEnd);
    if (value !== value) {
      return reject(
        'bad_value',
        `${input.slice(fieldStart, eq)}="${input.slice(eq + 1, Math.min(fieldEnd, eq + 41))}"`,
      );
    }
    if (value === Infinity || value === -Infinity) {
      return reject(
        'bad_value',
        `${input.slice(fieldStart, eq)}="${input.slice(eq + 1, Math.min(fieldEnd, eq + 41))}" overflows`,
      );
    }
    const spec = known?.spec;
    if (spec !== undefined && (value < spec.min || value > spec.max)) {
      return reject(
        'bad_value',
        `${input.slice(fieldStart, eq)}=${input.slice(eq + 1, Math.min(fieldEnd, eq + 41))} outside [${spec.min}, ${spec.max}]`,
      );
    }
    // `disk@/` is the series of `disk`: one identity, so `disk=1 disk@/=2` is a duplicate_key.
    let qualifier = at < 0 ? undefined : input.slice(at + 1, eq);
    if (qualifier !== undefined && qualifier === spec?.defaultQualifier) qualifier = undefined;
    if (samples.length < PAIRWISE_DUPLICATES) {
      if (isDuplicate(samples, key, qualifier))
        return reject('duplicate_key', `key "${seriesId(key, qualifier)}" twice`);
    } else {
      if (seen === undefined) {
        seen = new Set();
        for (const s of samples) seen.add(seriesId(s.key, s.qualifier));
      }
      const id = seriesId(key, qualifier);
      if (seen.has(id)) return reject('duplicate_key', `key "${id}" twice`);
      seen.add(id);
    }
    samples.push(qualifier === undefined ? { key, value } : { key, qualifier, value });
  }
  return { ok: true, report: { node: input.slice(nodeStart, nodeEnd), timestamp, samples } };
}

/** Shortest decimal text with at most `decimals` decimals ("12.50" -> "12.5", "3.0" -> "3"). */
export function formatValue(value: number, decimals: number): string {
  const fixed = value.toFixed(decimals);
  const short = fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
  // -0.04 at one decimal is "-0": write 0.
  return short === '-0' ? '0' : short;
}

function formatTimestamp(timestamp: number): string {
  return Number.isInteger(timestamp) ? String(timestamp) : formatValue(timestamp, 3);
}

/** Encode a report as one protocol line, without the newline. */
export function encodeReport(report: Report): string {
  const parts = [report.node, formatTimestamp(report.timestamp)];
  for (const s of report.samples) {
    const spec = standardKey(s.key);
    // Custom gauges keep full precision: their scale is unknown to the protocol.
    const value = spec ? formatValue(s.value, spec.decimals) : String(s.value);
    parts.push(`${seriesId(s.key, s.qualifier)}=${value}`);
  }
  return parts.join(' ');
}
