import { Counter, Gauge, type Registry } from 'prom-client';
import { NODE_PATTERN, QUALIFIER_PATTERN } from '../../protocol/keys.ts';
import { splitSeriesId } from '../../protocol/series-id.ts';
import {
  BRIDGE_COMPONENTS,
  EVENT_KINDS,
  EVENT_SEVERITIES,
  type EventKind,
  type EventPage,
  type HistoryEvent,
} from './history-event.ts';

/*
 * The event log: what happened, kept for operators (GET /api/v1/events, the page's #/events view).
 * Not the stream's replay window (bridge/expose/event-log.ts): that holds every report for a few
 * minutes; this holds status changes only, bounded by count and age, persisted across restarts
 * (bridge/state/event-history-file.ts).
 */

// The entry's vocabulary and shape live in a module of their own, without runtime imports, so the status
// page reads them too.
export {
  BRIDGE_COMPONENTS,
  EVENT_KINDS,
  EVENT_SEVERITIES,
  type BridgeComponent,
  type EventKind,
  type EventPage,
  type EventSeverity,
  type HistoryEvent,
} from './history-event.ts';
/** Statuses an event moves between, per kind. */
export const KIND_STATUSES: ReadonlyMap<EventKind, readonly string[]> = new Map<EventKind, readonly string[]>([
  ['threshold', ['ok', 'warning', 'error']],
  ['node', ['up', 'down']],
  ['bridge', ['ok', 'error']],
  ['maintenance', ['off', 'on']],
]);
export const EVENT_DROP_REASONS = ['max_events', 'max_age'] as const;
export type EventDropReason = (typeof EVENT_DROP_REASONS)[number];

export type NewEvent = Omit<HistoryEvent, 'id'>;

export interface EventFilter {
  readonly nodes?: readonly string[];
  readonly groups?: readonly string[];
  readonly kinds?: readonly string[];
  readonly severities?: readonly string[];
  readonly statuses?: readonly string[];
  /** Unix seconds, inclusive. */
  readonly since?: number;
  /** Unix seconds, inclusive. */
  readonly until?: number;
  /** Only ids below this (the next page, newest first). */
  readonly before?: number;
  /** Only ids above this (what is new since a poll). */
  readonly after?: number;
  readonly limit: number;
}

export interface EventHistoryOptions {
  readonly maxEvents: number;
  /** Events older than this leave the log; undefined keeps them until the count bound. */
  readonly maxAgeSeconds: number | undefined;
  readonly now: () => number;
}

/** Longest message kept (bridge errors quote a cause). */
export const MAX_MESSAGE_CHARS = 300;

export function eventHistoryMetrics(registry: Registry) {
  const m = {
    recorded: new Counter({
      name: 'obsmon_bridge_events_recorded_total',
      help: 'Events added to the event log (GET /api/v1/events), by kind',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    dropped: new Counter({
      name: 'obsmon_bridge_events_dropped_total',
      help: 'Events removed from the event log, by reason: max_events (--events-max), max_age (--events-max-age)',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    fileErrors: new Counter({
      name: 'obsmon_bridge_events_file_errors_total',
      help: 'Problems with --events-file, by kind: invalid_file (not ours, ignored whole), bad_line (skipped), read, write (events stay in memory; the next compaction rewrites the file)',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    held: new Gauge({ name: 'obsmon_bridge_events', help: 'Events in the event log now', registers: [registry] }),
  };
  for (const kind of EVENT_KINDS) m.recorded.labels(kind).inc(0);
  for (const reason of EVENT_DROP_REASONS) m.dropped.labels(reason).inc(0);
  for (const kind of EVENT_FILE_PROBLEMS) m.fileErrors.labels(kind).inc(0);
  return m;
}
export const EVENT_FILE_PROBLEMS = ['invalid_file', 'bad_line', 'read', 'write'] as const;
export type EventHistoryMetrics = ReturnType<typeof eventHistoryMetrics>;

/**
 * The bounded log in memory, oldest first, ids strictly increasing (so a page is a binary search).
 * `onAppend` listeners (the file) see each event once.
 */
export class EventHistory {
  private events: HistoryEvent[] = [];
  /** Index of the oldest kept event in `events` (removal without shifting every time). */
  private head = 0;
  private nextId = 1;
  private readonly listeners = new Set<(event: HistoryEvent) => void>();

  constructor(
    private readonly options: EventHistoryOptions,
    private readonly metrics?: EventHistoryMetrics,
  ) {}

  get size(): number {
    return this.events.length - this.head;
  }

  get lastId(): number {
    return this.nextId - 1;
  }

  /** Oldest first. */
  *all(): Generator<HistoryEvent> {
    for (let i = this.head; i < this.events.length; i += 1) yield this.events[i]!;
  }

  /** Put back events read from the file (ids kept); they must be oldest first with increasing ids. */
  restore(events: readonly HistoryEvent[]): void {
    for (const e of events) {
      if (e.id < this.nextId) continue;
      this.events.push(e);
      this.nextId = e.id + 1;
    }
    this.prune();
  }

  record(event: NewEvent): HistoryEvent {
    const message = event.message === null ? null : event.message.slice(0, MAX_MESSAGE_CHARS);
    const stored: HistoryEvent = { id: this.nextId, ...event, message };
    this.nextId += 1;
    this.events.push(stored);
    this.metrics?.recorded.labels(stored.kind).inc();
    this.prune();
    for (const listener of this.listeners) listener(stored);
    return stored;
  }

  onAppend(listener: (event: HistoryEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Apply both bounds; also called periodically, as age passes without new events. */
  prune(): void {
    const overCount = this.size - this.options.maxEvents;
    if (overCount > 0) {
      this.head += overCount;
      this.metrics?.dropped.labels('max_events').inc(overCount);
    }
    if (this.options.maxAgeSeconds !== undefined) {
      const oldest = this.options.now() / 1000 - this.options.maxAgeSeconds;
      let aged = 0;
      while (this.head < this.events.length && this.events[this.head]!.time < oldest) {
        this.head += 1;
        aged += 1;
      }
      if (aged > 0) this.metrics?.dropped.labels('max_age').inc(aged);
    }
    if (this.head > 1024 && this.head * 2 > this.events.length) {
      this.events = this.events.slice(this.head);
      this.head = 0;
    }
    this.metrics?.held.set(this.size);
  }

  /** Matching events, newest first, at most `limit`; `nextBefore` pages on. */
  query(filter: EventFilter): EventPage {
    const matches = (e: HistoryEvent) =>
      (filter.nodes === undefined || (e.node !== null && filter.nodes.includes(e.node))) &&
      (filter.groups === undefined || (e.group !== null && filter.groups.includes(e.group))) &&
      (filter.kinds === undefined || filter.kinds.includes(e.kind)) &&
      (filter.severities === undefined || filter.severities.includes(e.severity)) &&
      (filter.statuses === undefined || filter.statuses.includes(e.to)) &&
      (filter.since === undefined || e.time >= filter.since) &&
      (filter.until === undefined || e.time <= filter.until);
    const out: HistoryEvent[] = [];
    let i = filter.before === undefined ? this.events.length - 1 : this.indexBelow(filter.before);
    for (; i >= this.head; i -= 1) {
      const e = this.events[i]!;
      if (filter.after !== undefined && e.id <= filter.after) break;
      if (!matches(e)) continue;
      if (out.length === filter.limit) return { events: out, nextBefore: out[out.length - 1]!.id };
      out.push(e);
    }
    return { events: out, nextBefore: null };
  }

  /** Index of the newest event with id < `id` (head - 1 when none). */
  private indexBelow(id: number): number {
    let lo = this.head;
    let hi = this.events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.events[mid]!.id < id) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const GROUP = /^[A-Za-z0-9_.-]{1,64}$/;
/** A series id as the table builds it: a custom or built-in key, optionally `@qualifier`. */
const KEY = /^[a-z][a-z0-9_]{0,31}$/;

function oneOf<T extends string>(value: unknown, allowed: readonly T[]): T | undefined {
  return typeof value === 'string' && (allowed as readonly string[]).includes(value) ? (value as T) : undefined;
}

function validMetric(value: string): boolean {
  if (value.length > 100) return false;
  const { key, qualifier } = splitSeriesId(value);
  return KEY.test(key) && (qualifier === undefined || QUALIFIER_PATTERN.test(qualifier));
}

/**
 * One event read back from the file: hostile input. Every field is checked and copied into a new
 * object (nothing from the file is spread or used as a key); undefined when anything is off.
 * A time after `nowMs` (a clock stepped back, a forged file) is taken as `nowMs`.
 */
export function parseStoredEvent(value: unknown, nowMs: number): HistoryEvent | undefined {
  if (!isRecord(value)) return undefined;
  const { id, time, node, group, metric, component, value: reading, message } = value;
  const kind = oneOf(value['kind'], EVENT_KINDS);
  const severity = oneOf(value['severity'], EVENT_SEVERITIES);
  if (kind === undefined || severity === undefined) return undefined;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) return undefined;
  if (typeof time !== 'number' || !Number.isFinite(time) || time <= 0) return undefined;
  const statuses = KIND_STATUSES.get(kind)!;
  const from = oneOf(value['from'], statuses);
  const to = oneOf(value['to'], statuses);
  if (from === undefined || to === undefined) return undefined;
  if (node !== null && (typeof node !== 'string' || !NODE_PATTERN.test(node))) return undefined;
  if (group !== null && (typeof group !== 'string' || !GROUP.test(group))) return undefined;
  if (metric !== null && (typeof metric !== 'string' || !validMetric(metric))) return undefined;
  const comp = component === null ? null : oneOf(component, BRIDGE_COMPONENTS);
  if (comp === undefined) return undefined;
  if (reading !== null && (typeof reading !== 'number' || !Number.isFinite(reading))) return undefined;
  if (message !== null && (typeof message !== 'string' || message.length > MAX_MESSAGE_CHARS)) return undefined;
  // The shape each kind has: a node event names a node, a bridge event a component.
  if (
    (kind === 'bridge') !== (node === null) ||
    (kind === 'bridge') !== (comp !== null) ||
    (kind === 'threshold') !== (metric !== null)
  )
    return undefined;
  return {
    id,
    time: Math.min(time, nowMs / 1000),
    kind,
    severity,
    node,
    group,
    metric,
    component: comp,
    from,
    to,
    value: reading,
    message,
  };
}
