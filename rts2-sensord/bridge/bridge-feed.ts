import type { Logger } from '../../lib/logger.ts';
import { fetchNodes, type MetricJson, type NodeJson } from '../../lib/nodes-client.ts';
import { StatusStream } from './status-stream.ts';

/** The parts of a bridge's node (docs/api.md `NodeView`) the device uses. */
export type BridgeMetric = Pick<MetricJson, 'key' | 'qualifier' | 'value' | 'status'> &
  Partial<Pick<MetricJson, 'warning' | 'error'>>;
export type BridgeNode = Pick<NodeJson, 'node' | 'group' | 'critical' | 'up' | 'lastSeenSecondsAgo' | 'maintenance'> & {
  readonly metrics: readonly BridgeMetric[];
};

/** A node as last seen in an answer of the bridge, with the local time of that answer. */
export interface KnownNode {
  readonly view: BridgeNode;
  /** Local clock (ms) when the request for the answer that carried `view` went out (its ages count from then). */
  readonly fetchedAt: number;
}

/** What the device knows of the cluster; nodes stay known after the bridge stops listing them. */
export interface FeedState {
  /** The last poll succeeded. */
  readonly ok: boolean;
  readonly error: string | undefined;
  /** Local clock (ms) of the last successful poll. */
  readonly lastSuccessAt: number | undefined;
  /** The bridge's `--down-after`, ms (60 s until the bridge has told). */
  readonly downAfterMs: number;
  readonly nodes: ReadonlyMap<string, KnownNode>;
  /** Nodes the bridge listed beyond `maxNodes`, not shown. */
  readonly ignoredNodes: number;
  /** Polls completed, successful or not; 0 = too early to judge the bridge. */
  readonly polls: number;
  /**
   * The last time the device could not see the bridge: from its last good poll before the failures to
   * the first good one after (local clock, ms). Absent until the bridge, once seen, failed and came back.
   */
  readonly lastOutage?: { readonly from: number; readonly until: number };
}

export interface BridgeFeedOptions {
  readonly url: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Distinct nodes the device will ever show: RTS2 cannot delete a value, so a flood of invented names must stop somewhere. */
  readonly maxNodes: number;
  /** Which nodes to show (`--nodes`, `--groups`). */
  readonly wanted: (node: BridgeNode) => boolean;
  readonly now: () => number;
}

/**
 * The device's view of the bridge: polls `/api/v1/nodes` every interval and at once when the status
 * stream reports a change, one request at a time. Either side may start first; both retry forever.
 */
export class BridgeFeed {
  private readonly nodes = new Map<string, KnownNode>();
  private readonly ignored = new Set<string>();
  private ok = false;
  private error: string | undefined = 'no answer from the bridge yet';
  private lastSuccessAt: number | undefined;
  private downAfterMs = 60_000;
  private polls = 0;
  /** Last good poll before the current run of failures; undefined while polls succeed. */
  private blindSince: number | undefined;
  private lastOutage: { from: number; until: number } | undefined;
  private inFlight = false;
  private again = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly stream: StatusStream;

  constructor(
    private readonly options: BridgeFeedOptions,
    private readonly onChange: () => void,
    private readonly log: Logger,
  ) {
    this.stream = new StatusStream(
      {
        baseUrl: options.url,
        retry: { initialMs: 500, maxMs: Math.max(1000, options.intervalMs * 2) },
        idleTimeoutMs: 60_000,
      },
      () => this.requestPoll(),
      () => this.requestPoll(),
      log,
    );
  }

  get state(): FeedState {
    const { ok, error, lastSuccessAt, downAfterMs, nodes, polls, lastOutage } = this;
    return {
      ok,
      error,
      lastSuccessAt,
      downAfterMs,
      nodes,
      polls,
      ignoredNodes: this.ignored.size,
      ...(lastOutage === undefined ? {} : { lastOutage }),
    };
  }

  start(): void {
    this.stream.start();
    this.timer = setInterval(() => this.requestPoll(), this.options.intervalMs);
    this.requestPoll();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.stream.stop();
  }

  /** Poll now, or right after the poll in flight. */
  requestPoll(): void {
    if (this.stopped) return;
    if (this.inFlight) {
      this.again = true;
      return;
    }
    this.inFlight = true;
    void this.poll().finally(() => {
      this.inFlight = false;
      if (this.again && !this.stopped) {
        this.again = false;
        this.requestPoll();
      }
    });
  }

  private async poll(): Promise<void> {
    try {
      // The bridge's ages are of some moment between the request and its answer: counted from the
      // request, a slow answer never makes a node seen later than it was (a node the device already
      // holds as down is not shown up again by a poll the bridge answered before it went down).
      const sentAt = this.options.now();
      const answer = await fetchNodes(this.options.url, { timeoutMs: this.options.timeoutMs });
      const now = this.options.now();
      for (const view of answer.nodes) this.remember(view, sentAt);
      if (answer.downAfterSeconds !== undefined) this.downAfterMs = answer.downAfterSeconds * 1000;
      if (this.blindSince !== undefined) this.lastOutage = { from: this.blindSince, until: now };
      this.blindSince = undefined;
      this.ok = true;
      this.error = undefined;
      this.lastSuccessAt = now;
    } catch (error) {
      if (this.ok && this.lastSuccessAt !== undefined) this.blindSince = this.lastSuccessAt;
      this.ok = false;
      this.error = describe(error);
      this.log.debug(`Poll of ${this.options.url} failed: ${this.error}`);
    }
    this.polls += 1;
    if (!this.stopped) this.onChange();
  }

  private remember(view: BridgeNode, now: number): void {
    if (!this.options.wanted(view)) return;
    if (!this.nodes.has(view.node) && this.nodes.size >= this.options.maxNodes) {
      if (!this.ignored.has(view.node) && this.ignored.size < 1_000_000) {
        if (this.ignored.size === 0)
          this.log.warn(
            `More than ${this.options.maxNodes} nodes (--max-nodes): "${view.node}" and later ones are not shown`,
          );
        this.ignored.add(view.node);
      }
      return;
    }
    this.nodes.set(view.node, { view, fetchedAt: now });
  }
}

/** `fetch failed` says little; its cause (ECONNREFUSED, timeout) says what happened. */
function describe(error: unknown): string {
  const e = error as Error & { cause?: { code?: string; message?: string } };
  const cause = e.cause?.code ?? e.cause?.message;
  if (e.name === 'TimeoutError') return 'no answer within the timeout';
  return cause === undefined ? e.message : `${e.message} (${cause})`;
}
