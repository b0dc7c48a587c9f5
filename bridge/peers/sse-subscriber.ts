import { request as httpRequest, type ClientRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Backoff } from '../../lib/backoff.ts';
import { SseDecoder, type SseMessage } from '../../lib/sse-decoder.ts';

/**
 * A reconnecting Server-Sent Events reader (Node 20 has no EventSource): resumes with
 * Last-Event-ID, backs off while the peer is away, drops any event larger than 1 MiB.
 */
export class SseSubscriber {
  private request: ClientRequest | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastId: string | undefined;
  private stopped = false;
  private readonly backoff = new Backoff({ initialMs: 500, maxMs: 10_000 });

  constructor(
    private readonly url: URL,
    private readonly onMessage: (message: SseMessage) => void,
    private readonly headers: Record<string, string> = {},
  ) {}

  start(): void {
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.request?.destroy();
  }

  private connect(): void {
    if (this.stopped) return;
    const request = (this.url.protocol === 'https:' ? httpsRequest : httpRequest)(
      this.url,
      {
        headers: {
          accept: 'text/event-stream',
          ...this.headers,
          ...(this.lastId === undefined ? {} : { 'last-event-id': this.lastId }),
        },
      },
      (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          return;
        }
        this.backoff.reset();
        const decoder = new SseDecoder();
        res.on('data', (chunk: Buffer) => {
          const messages = decoder.push(chunk);
          this.lastId = decoder.lastEventId ?? this.lastId;
          for (const message of messages) this.onMessage(message);
        });
      },
    );
    request.on('error', () => {});
    request.on('close', () => this.retry());
    request.end();
    this.request = request;
  }

  private retry(): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), this.backoff.next());
  }
}
