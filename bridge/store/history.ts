/** One series of one node over a time range, as `GET /api/v1/nodes/:node/history` asks. */
export interface HistoryQuery {
  readonly node: string;
  readonly key: string;
  readonly qualifier?: string;
  /** Unix seconds, inclusive. */
  readonly from: number;
  readonly to: number;
}

/** `[unix seconds, value]`, oldest first, at most one point per second. */
export type HistoryPoint = readonly [number, number];

export interface HistoryAnswer {
  /** Where the points came from: the database, or the bridge's bounded memory. */
  readonly source: 'influxdb' | 'memory';
  readonly points: readonly HistoryPoint[];
}

export interface HistoryReader {
  query(query: HistoryQuery): Promise<HistoryAnswer>;
}

/** Most points one answer carries; a longer range is cut at its newest end. */
export const MAX_HISTORY_POINTS = 100_000;
