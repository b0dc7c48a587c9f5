// The JSON of `GET /api/v1/nodes[/:node]` (docs/api.md), built by bridge/state/node-view.ts. Types only,
// without runtime imports: the status page (bridge/page/) is type-checked against them without
// pulling server code into its browser-only check (tsconfig.page.json). The one home of the shape:
// lib/nodes-client.ts's schema (peers' answers are checked with it) is compiled against these types.
import type { Status } from '../../protocol/status.ts';
import type { MaintenanceState } from './maintenance-state.ts';

/** One metric of a node as the API shows it. */
export interface MetricView {
  readonly key: string;
  readonly qualifier: string | null;
  readonly value: number;
  /** Agent reading time, unix seconds. */
  readonly timestamp: number;
  readonly status: Status;
  readonly warning: number | null;
  readonly error: number | null;
}

/** A node as `GET /api/v1/nodes` shows it; the JSON contract of docs/api.md. */
export interface NodeView {
  readonly node: string;
  readonly group: string;
  readonly critical: boolean;
  readonly inventory: boolean;
  readonly up: boolean;
  /** Worst status of its metrics; `stale` when the node is down. */
  readonly status: Status;
  readonly lastReportTimestamp: number | null;
  /** Seconds since the bridge last heard from the node (bridge clock). */
  readonly lastSeenSecondsAgo: number | null;
  readonly clockSkewSeconds: number;
  readonly metrics: readonly MetricView[];
  /**
   * The maintenance window the node is in (its alerts are suppressed), or null. Always set by this
   * bridge; optional in the type for views of peer bridges older than the field.
   */
  readonly maintenance?: MaintenanceState | null;
  /**
   * `<name>/<version>` the node's last report came with (its agent's `AGENT` line), or null when it sent
   * none. Always set by this bridge; optional in the type for views of peer bridges older than the field.
   */
  readonly agent?: string | null;
}

/** `GET /api/v1/nodes` (bridge/expose/http.ts): every node, sorted by name, and the `--down-after` they were judged at. */
export interface NodeList {
  readonly downAfterSeconds: number;
  readonly nodes: readonly NodeView[];
}
