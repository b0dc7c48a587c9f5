import { Backoff, type BackoffOptions } from '../../lib/backoff.ts';
import type { Logger } from '../../lib/logger.ts';
import { bridgeUrl } from '../../lib/nodes-client.ts';
import { SseDecoder } from '../../lib/sse-decoder.ts';

export interface StatusStreamOptions {
  /** Base URL of the bridge, e.g. `http://10.0.0.2:7080`. */
  readonly baseUrl: string;
  readonly retry: BackoffOptions;
  /** Reconnect when nothing (not even the bridge's 15 s heartbeat) arrived for this long, ms. */
  readonly idleTimeoutMs: number;
}

/**
 * Follows `GET /api/v1/stream?types=status` and reports the type of each event (`status`, `reset`)
 * and each (re)connection. It carries no data for the device: a status change only means "poll now",
 * so a crossing shows in rts2-mon at once instead of at the next poll. No Last-Event-ID is sent: a
 * replayed window would announce old changes as new, and the poll that follows each connection
 * brings the full state anyway.
 */
export class StatusStream {
  private stopped = false;
  private abort: AbortController | undefined;
  private wake: (() => void) | undefined;
  private readonly backoff: Backoff;

  constructor(
    private readonly options: StatusStreamOptions,
    private readonly onEvent: (type: string) => void,
    private readonly onOpen: () => void,
    private readonly log: Logger,
  ) {
    this.backoff = new Backoff(options.retry);
  }

  start(): void {
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    this.abort?.abort();
    this.wake?.();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.follow();
      } catch (error) {
        if (!this.stopped) this.log.debug(`Stream from bridge ended: ${(error as Error).message}`);
      }
      if (this.stopped) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.backoff.next());
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  private async follow(): Promise<void> {
    const abort = new AbortController();
    this.abort = abort;
    let idle = setTimeout(() => abort.abort(), this.options.idleTimeoutMs);
    try {
      const url = bridgeUrl(this.options.baseUrl, 'api/v1/stream?types=status');
      const res = await fetch(url, { headers: { accept: 'text/event-stream' }, signal: abort.signal });
      if (!res.ok || res.body === null) throw new Error(`HTTP ${res.status}`);
      this.backoff.reset();
      this.onOpen();
      const decoder = new SseDecoder();
      for await (const chunk of res.body) {
        clearTimeout(idle);
        idle = setTimeout(() => abort.abort(), this.options.idleTimeoutMs);
        for (const message of decoder.push(chunk as Uint8Array)) this.onEvent(message.event);
      }
    } finally {
      clearTimeout(idle);
    }
  }
}
