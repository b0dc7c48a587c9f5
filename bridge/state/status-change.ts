// The data of a stream `status` event (docs/api.md), found by bridge/state/status-tracker.ts. Types only,
// without runtime imports: the status page's check (tsconfig.page.json) reads it.
import type { Status } from '../../protocol/status.ts';

/** A metric crossing a level, or a node going stale / coming back. */
export type StatusChange =
  | {
      readonly kind: 'metric';
      readonly node: string;
      readonly metric: string;
      readonly from: Status;
      readonly to: Status;
      readonly value: number;
      readonly timestamp: number;
    }
  | {
      readonly kind: 'node';
      readonly node: string;
      readonly from: 'up' | 'down';
      readonly to: 'up' | 'down';
      readonly timestamp: number;
    };
