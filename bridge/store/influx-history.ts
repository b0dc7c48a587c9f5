import { errorText } from './influx-write.ts';
import {
  MAX_HISTORY_POINTS,
  type HistoryAnswer,
  type HistoryPoint,
  type HistoryQuery,
  type HistoryReader,
} from './history.ts';
import { locate } from './schema.ts';

/** Where and how to send InfluxQL: 1.x with db/rp and basic auth, 2.x/3.x/1.8 with a token. */
export interface InfluxQueryTarget {
  readonly url: string;
  readonly db: string;
  readonly rp?: string;
  /** Authorization header value, if any. */
  readonly authorization?: string;
  readonly timeoutMs: number;
}

/** `"name"` with `\` and `"` escaped (InfluxQL identifier). */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** `'text'` with `\` and `'` escaped (InfluxQL string literal). */
export function quoteString(text: string): string {
  return `'${text.replace(/[\\']/g, (c) => `\\${c}`)}'`;
}

/**
 * The InfluxQL statement for one series, built from the same schema mapping the writer uses. Tags and
 * the field are typed (`::tag`, `::field`): `obsmon_cpu` has a tag and a field both named `cpu`, and
 * InfluxQL reads an untyped name that is both as the field, so `WHERE "cpu" = '3'` would match nothing.
 */
export function historyStatement(q: HistoryQuery): string {
  const where = locate(q.key, q.qualifier);
  const conditions = [`${quoteIdentifier('node')}::tag = ${quoteString(q.node)}`];
  if (where.qualifierTag !== undefined)
    conditions.push(`${quoteIdentifier(where.qualifierTag.name)}::tag = ${quoteString(where.qualifierTag.value)}`);
  conditions.push(`time >= ${Math.floor(q.from)}s`, `time <= ${Math.floor(q.to)}s`);
  // Newest first with a LIMIT keeps the most recent end of an over-long range.
  return `SELECT ${quoteIdentifier(where.field)}::field FROM ${quoteIdentifier(where.measurement)} WHERE ${conditions.join(' AND ')} ORDER BY time DESC LIMIT ${MAX_HISTORY_POINTS}`;
}

interface QueryResponse {
  results?: Array<{ error?: string; series?: Array<{ values?: Array<[number, number | null]> }> }>;
  error?: string;
}

/**
 * History from the database through InfluxQL on `/query`: native on 1.x, the v1-compatibility API on
 * 1.8+, 2.x (the bucket's DBRP mapping; buckets get a virtual one since 2.4) and 3.x, so one query
 * serves every server the writer supports.
 */
export class InfluxHistory implements HistoryReader {
  constructor(private readonly target: InfluxQueryTarget) {}

  async query(q: HistoryQuery): Promise<HistoryAnswer> {
    const url = new URL('query', this.target.url.endsWith('/') ? this.target.url : `${this.target.url}/`);
    url.searchParams.set('db', this.target.db);
    if (this.target.rp !== undefined) url.searchParams.set('rp', this.target.rp);
    url.searchParams.set('epoch', 's');
    url.searchParams.set('q', historyStatement(q));
    const headers: Record<string, string> =
      this.target.authorization === undefined ? {} : { authorization: this.target.authorization };
    const response = await fetch(url, { headers, signal: AbortSignal.timeout(this.target.timeoutMs) });
    const body = await response.text();
    if (!response.ok)
      throw new Error(`HTTP ${response.status}: ${errorText(body, response.headers.get('x-influxdb-error'))}`);
    const json = JSON.parse(body) as QueryResponse;
    const result = json.results?.[0];
    if (json.error !== undefined || result?.error !== undefined) throw new Error(json.error ?? result?.error);
    const points: HistoryPoint[] = [];
    for (const series of result?.series ?? []) {
      for (const [t, v] of series.values ?? []) if (typeof t === 'number' && typeof v === 'number') points.push([t, v]);
    }
    return { source: 'influxdb', points: points.reverse() };
  }
}
