/**
 * The status of a value, a node or an RTS2 reading: one word and one ranking wherever obsmon shows
 * one (API, status page, stream, event log, RTS2 device). `stale` means nothing current is known (a
 * node down, a series not reported within --down-after); it ranks above `ok`, because an operator
 * cannot count on it, and below `warning`, because no value is known to be at a level.
 */
export const STATUSES = ['ok', 'stale', 'warning', 'error'] as const;

export type Status = (typeof STATUSES)[number];

/** What a current value judged against its levels can be; staleness is about age, never about a value. */
export type LevelStatus = Exclude<Status, 'stale'>;

/** Warning and error levels of one metric; a value at or above a level has that status. */
export interface Levels {
  readonly warning: number;
  readonly error: number;
}

const RANK: Record<Status, number> = { ok: 0, stale: 1, warning: 2, error: 3 };

/** The status of `value` at `levels` (at-or-above semantics); a metric without levels is always ok. */
export function levelStatus(levels: Levels | undefined, value: number): LevelStatus {
  if (levels === undefined) return 'ok';
  if (value >= levels.error) return 'error';
  return value >= levels.warning ? 'warning' : 'ok';
}

/** Position in the ranking ok < stale < warning < error. */
export function statusRank(status: Status): number {
  return RANK[status];
}

/** The worse of two statuses (error > warning > stale > ok). */
export function worst(a: Status, b: Status): Status {
  return RANK[b] > RANK[a] ? b : a;
}

/** Two sets of levels are the same (both absent counts as the same). */
export function sameLevels(a: Levels | undefined, b: Levels | undefined): boolean {
  return a === undefined || b === undefined ? a === b : a.warning === b.warning && a.error === b.error;
}
