// The data of a stream `report` event (docs/api.md), built by bridge/expose/live-events.ts. Types only,
// without runtime imports: the status page's check (tsconfig.page.json) reads it.
import type { Status } from '../../protocol/status.ts';

/** One accepted report as the stream carries it. */
export interface ReportEvent {
  readonly node: string;
  /** Agent reading time, unix seconds. */
  readonly timestamp: number;
  /** Series id (`key` or `key@qualifier`) → value; keys are agent text (never index a plain object with them). */
  readonly values: Readonly<Record<string, number>>;
  /** The status judged at ingest of each value not ok that became live; absent when there is none. */
  readonly status?: Readonly<Record<string, Status>>;
}
