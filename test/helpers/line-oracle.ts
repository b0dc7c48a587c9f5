// The decoder as it was before it became a scanner (protocol/line.ts): split, filter and regular
// expressions per field. Kept verbatim as the oracle the scanner is proven equal to
// (test/unit/protocol/line-scanner.test.ts); not used by the bridge.
import {
  canonicalKey,
  keyKind,
  NODE_PATTERN,
  QUALIFIER_PATTERN,
  seriesQualifier,
  standardKey,
} from '../../protocol/keys.ts';
import type { ParseResult, Sample } from '../../protocol/line.ts';
import type { RejectReason } from '../../protocol/reject-reasons.ts';
import { seriesId } from '../../protocol/series-id.ts';

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
export function parseLineOracle(input: string): ParseResult {
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
