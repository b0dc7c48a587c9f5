import { canonicalKey, keyKind, NODE_PATTERN, QUALIFIER_PATTERN, seriesQualifier, standardKey } from './keys.ts';
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

// Plain decimal only: `Number()` alone would also take "0x1f", "Infinity", " 1" and "".
const NUMBER_PATTERN = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
// Printable ASCII plus the field separator; anything else (NUL, DEL, UTF-8) is not protocol v1.
const NON_PROTOCOL_BYTE = /[^\x20-\x7e]/;

function reject(reason: RejectReason, detail: string): ParseResult {
  return { ok: false, reason, detail };
}

/**
 * Decode one line (without its newline; a trailing `\r` is tolerated). Never throws: every
 * failure is a reason from the closed set, plus a short human detail for logs.
 */
export function parseLine(input: string): ParseResult {
  const line = input.endsWith('\r') ? input.slice(0, -1) : input;
  if (NON_PROTOCOL_BYTE.test(line)) return reject('malformed', 'control or non-ASCII character');
  const fields = line.split(' ').filter((f) => f !== '');
  const [node, time, ...pairs] = fields;
  if (node === undefined || time === undefined || pairs.length === 0) {
    return reject('malformed', 'expected "<node> <unix-seconds> <key>=<value> ..."');
  }
  if (!NODE_PATTERN.test(node)) return reject('bad_node', `node name "${node.slice(0, 70)}"`);
  if (!NUMBER_PATTERN.test(time) || time.startsWith('-')) {
    return reject('bad_timestamp', `timestamp "${time.slice(0, 40)}"`);
  }
  const timestamp = Number(time);
  if (!Number.isFinite(timestamp) || timestamp <= 0) return reject('bad_timestamp', `timestamp "${time.slice(0, 40)}"`);

  const samples: Sample[] = [];
  const seen = new Set<string>();
  for (const pair of pairs) {
    const parsed = parsePair(pair);
    if ('reason' in parsed) return parsed;
    const id = seriesId(parsed.key, parsed.qualifier);
    if (seen.has(id)) return reject('duplicate_key', `key "${id}" twice`);
    seen.add(id);
    samples.push(parsed);
  }
  return { ok: true, report: { node, timestamp, samples } };
}

function parsePair(pair: string): Sample | (ParseResult & { ok: false }) {
  const eq = pair.indexOf('=');
  if (eq <= 0) return { ok: false, reason: 'malformed', detail: `field "${pair.slice(0, 70)}" is not key=value` };
  const name = pair.slice(0, eq);
  const text = pair.slice(eq + 1);
  const at = name.indexOf('@');
  const rawKey = at < 0 ? name : name.slice(0, at);
  const qualifier = at < 0 ? undefined : name.slice(at + 1);
  const key = canonicalKey(rawKey);
  const kind = keyKind(key);
  if (kind === 'invalid') return { ok: false, reason: 'bad_key', detail: `key "${rawKey.slice(0, 40)}"` };
  if (kind === 'reserved')
    return { ok: false, reason: 'reserved_key', detail: `key "${key}" is a name the storage layout uses` };
  if (qualifier !== undefined && !QUALIFIER_PATTERN.test(qualifier)) {
    return { ok: false, reason: 'bad_key', detail: `qualifier "${qualifier.slice(0, 70)}"` };
  }
  const spec = standardKey(key);
  if (!NUMBER_PATTERN.test(text)) return { ok: false, reason: 'bad_value', detail: `${name}="${text.slice(0, 40)}"` };
  const value = Number(text);
  if (!Number.isFinite(value))
    return { ok: false, reason: 'bad_value', detail: `${name}="${text.slice(0, 40)}" overflows` };
  if (spec !== undefined && (value < spec.min || value > spec.max)) {
    return {
      ok: false,
      reason: 'bad_value',
      detail: `${name}=${text.slice(0, 40)} outside [${spec.min}, ${spec.max}]`,
    };
  }
  // `disk@/` is the series of `disk`: one identity, so `disk=1 disk@/=2` is a duplicate_key below.
  const series = seriesQualifier(key, qualifier);
  return series === undefined ? { key, value } : { key, qualifier: series, value };
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
