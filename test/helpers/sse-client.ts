import { request, type IncomingMessage } from 'node:http';
import { parseSseBlock } from '../../bridge/peers/sse-subscriber.ts';

export interface SseEvent {
  id?: string;
  event: string;
  data: string;
}

/** A minimal EventSource for tests: collects parsed events until closed. */
export class SseClient {
  readonly events: SseEvent[] = [];
  private response: IncomingMessage | undefined;

  static open(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
    const client = new SseClient();
    return new Promise((resolve, reject) => {
      const req = request(url, { headers: { accept: 'text/event-stream', ...headers } }, (res) => {
        client.response = res;
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            client.parse(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
          }
        });
        resolve(client);
      });
      req.on('error', reject);
      req.end();
    });
  }

  private parse(block: string): void {
    const { id, event, data } = parseSseBlock(block);
    if (data !== undefined) this.events.push(id === undefined ? { event, data } : { id, event, data });
  }

  ofType(type: string): SseEvent[] {
    return this.events.filter((e) => e.event === type);
  }

  close(): void {
    this.response?.destroy();
  }
}
