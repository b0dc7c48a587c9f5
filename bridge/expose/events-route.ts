import type { RequestHandler } from 'express';
import type { EventFilter, EventHistory } from '../state/event-history.ts';

export const DEFAULT_EVENTS_LIMIT = 100;
export const MAX_EVENTS_LIMIT = 1000;
/** Values per list filter: a query string cannot make one request compare against thousands. */
const MAX_LIST_VALUES = 100;

class BadParameter extends Error {
  readonly status = 400;
}

function text(query: Record<string, unknown>, name: string): string | undefined {
  // Read through a Map: parameter names come from the client.
  const value = new Map(Object.entries(query)).get(name);
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new BadParameter(`${name}: given more than once`);
  return value;
}

function list(query: Record<string, unknown>, name: string): string[] | undefined {
  const value = text(query, name);
  if (value === undefined || value === '') return undefined;
  const values = value.split(',').filter((v) => v !== '');
  if (values.length > MAX_LIST_VALUES) throw new BadParameter(`${name}: more than ${MAX_LIST_VALUES} values`);
  return values;
}

function number(query: Record<string, unknown>, name: string, integer: boolean): number | undefined {
  const value = text(query, name);
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !Number.isFinite(n) || (integer && !Number.isSafeInteger(n)))
    throw new BadParameter(`${name}: expected a non-negative ${integer ? 'integer' : 'number'}`);
  return n;
}

/** The filters of `GET /api/v1/events` (docs/api.md); throws a 400 error for a malformed one. */
export function parseEventFilter(query: Record<string, unknown>): EventFilter {
  const limit = number(query, 'limit', true) ?? DEFAULT_EVENTS_LIMIT;
  if (limit < 1 || limit > MAX_EVENTS_LIMIT) throw new BadParameter(`limit: expected 1 to ${MAX_EVENTS_LIMIT}`);
  const filter: { -readonly [K in keyof EventFilter]: EventFilter[K] } = { limit };
  const nodes = list(query, 'node');
  const groups = list(query, 'group');
  const kinds = list(query, 'kind');
  const severities = list(query, 'severity');
  const statuses = list(query, 'status');
  const since = number(query, 'since', false);
  const until = number(query, 'until', false);
  const before = number(query, 'before', true);
  const after = number(query, 'after', true);
  if (nodes !== undefined) filter.nodes = nodes;
  if (groups !== undefined) filter.groups = groups;
  if (kinds !== undefined) filter.kinds = kinds;
  if (severities !== undefined) filter.severities = severities;
  if (statuses !== undefined) filter.statuses = statuses;
  if (since !== undefined) filter.since = since;
  if (until !== undefined) filter.until = until;
  if (before !== undefined) filter.before = before;
  if (after !== undefined) filter.after = after;
  return filter;
}

/** `GET /api/v1/events`: the event log, newest first, filtered, paged by id. */
export function eventsRoute(history: EventHistory): RequestHandler {
  return (req, res, next) => {
    let filter: EventFilter;
    try {
      filter = parseEventFilter(req.query as Record<string, unknown>);
    } catch (error) {
      next(error);
      return;
    }
    const page = history.query(filter);
    res.setHeader('cache-control', 'no-store');
    res.json({ events: page.events, nextBefore: page.nextBefore, lastId: history.lastId });
  };
}
