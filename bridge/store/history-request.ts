import { canonicalKey, keyKind, NODE_PATTERN, QUALIFIER_PATTERN, seriesQualifier } from '../../protocol/keys.ts';
import { seriesId, splitSeriesId } from '../../protocol/series-id.ts';
import type { HistoryQuery } from './history.ts';

/** Range when `from` is not given, seconds before `to`. */
export const DEFAULT_HISTORY_RANGE_SECONDS = 3600;

export type HistoryRequest =
  | { readonly ok: true; readonly query: HistoryQuery; readonly metric: string }
  | { readonly ok: false; readonly error: string };

/**
 * Validate `:node` and `?metric=key[@qualifier]&from=&to=` (unix seconds; `to` defaults to now,
 * `from` to an hour before `to`). Names are checked against the protocol's patterns, so nothing
 * unchecked reaches a database query.
 */
export function parseHistoryRequest(node: string, params: Record<string, unknown>, nowMs: number): HistoryRequest {
  if (!NODE_PATTERN.test(node)) return { ok: false, error: `node "${node.slice(0, 70)}" is not a valid node name` };
  const metric = params['metric'];
  if (typeof metric !== 'string' || metric === '')
    return { ok: false, error: 'metric is required: ?metric=<key>[@<qualifier>]' };
  const { key: rawKey, qualifier: sent } = splitSeriesId(metric);
  const key = canonicalKey(rawKey);
  // The decoder's rules: a key no report can carry (invalid or reserved) has no history.
  const kind = keyKind(key);
  if (kind === 'invalid' || kind === 'reserved')
    return { ok: false, error: `metric key "${rawKey.slice(0, 40)}" is not a protocol key` };
  if (sent !== undefined && !QUALIFIER_PATTERN.test(sent))
    return { ok: false, error: `qualifier "${sent.slice(0, 70)}" is not valid` };
  const qualifier = seriesQualifier(key, sent);
  const to = seconds(params['to'], Math.floor(nowMs / 1000));
  const from = seconds(params['from'], to === undefined ? undefined : to - DEFAULT_HISTORY_RANGE_SECONDS);
  if (to === undefined || from === undefined) return { ok: false, error: 'from and to must be unix seconds' };
  if (from > to) return { ok: false, error: 'from must not be after to' };
  const base = { node, key, from, to };
  return {
    ok: true,
    metric: seriesId(key, qualifier),
    query: qualifier === undefined ? base : { ...base, qualifier },
  };
}

function seconds(raw: unknown, fallback: number | undefined): number | undefined {
  if (raw === undefined || raw === '') return fallback;
  if (typeof raw !== 'string' || !/^\d{1,12}(\.\d+)?$/.test(raw)) return undefined;
  return Number(raw);
}
