import { request as httpRequest, type ClientRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Backoff } from '../../lib/backoff.ts';

export interface SseMessage {
  readonly id: string | undefined;
  readonly event: string;
  readonly data: string;
}

const MAX_EVENT_BYTES = 1 << 20;

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
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            this.dispatch(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
          }
          if (buffer.length > MAX_EVENT_BYTES) buffer = '';
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

  private dispatch(block: string): void {
    const message = parseSseBlock(block);
    if (message.id !== undefined) this.lastId = message.id;
    if (message.data !== undefined) this.onMessage({ id: message.id, event: message.event, data: message.data });
  }
}

/** One event block (the text between blank lines): comments skipped, `data` lines joined by `\n`. */
export function parseSseBlock(block: string): { id: string | undefined; event: string; data: string | undefined } {
  let id: string | undefined;
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'id') id = value;
    else if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
  }
  return { id, event, data: data.length === 0 ? undefined : data.join('\n') };
}
