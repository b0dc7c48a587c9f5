// One entry of the event log (GET /api/v1/events, docs/api.md), kept by bridge/state/event-history.ts:
// its vocabulary and its JSON. No imports: the status page's check (tsconfig.page.json) reads it.

export const EVENT_KINDS = ['threshold', 'node', 'bridge', 'maintenance'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];
export const EVENT_SEVERITIES = ['info', 'warning', 'error'] as const;
export type EventSeverity = (typeof EVENT_SEVERITIES)[number];
/** Parts of the bridge whose problems are events of kind `bridge`. */
export const BRIDGE_COMPONENTS = ['storage', 'remote_storage', 'spool', 'remote_spool', 'config_reload'] as const;
export type BridgeComponent = (typeof BRIDGE_COMPONENTS)[number];

/** One entry of the log; the JSON contract of `GET /api/v1/events` (docs/api.md). */
export interface HistoryEvent {
  /** Grows by one per event, across restarts (the file keeps the last one). */
  readonly id: number;
  /** When it happened, unix seconds (agent time for a threshold crossing, bridge time otherwise). */
  readonly time: number;
  readonly kind: EventKind;
  readonly severity: EventSeverity;
  /** The node, for `threshold` and `node` events; null for `bridge`. */
  readonly node: string | null;
  /** The node's group when the event happened. */
  readonly group: string | null;
  /** Series id (`key` or `key@qualifier`) of a threshold crossing, else null. */
  readonly metric: string | null;
  /** Which part of the bridge, for `bridge` events, else null. */
  readonly component: BridgeComponent | null;
  readonly from: string;
  readonly to: string;
  /** The reading that crossed a level, else null. */
  readonly value: number | null;
  /** A short explanation (bridge events), else null. */
  readonly message: string | null;
}

/** A page of the log, as `GET /api/v1/events` answers it (besides its `lastId`). */
export interface EventPage {
  /** Newest first. */
  readonly events: readonly HistoryEvent[];
  /** `before` for the next (older) page; null when there is none. */
  readonly nextBefore: number | null;
}
