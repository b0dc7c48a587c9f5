import { request, type IncomingMessage } from 'node:http';
import { SseDecoder } from '../../lib/sse-decoder.ts';

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
        const decoder = new SseDecoder();
        res.on('data', (chunk: Buffer) => {
          for (const { id, event, data } of decoder.push(chunk))
            client.events.push(id === undefined ? { event, data } : { id, event, data });
        });
        resolve(client);
      });
      req.on('error', reject);
      req.end();
    });
  }

  ofType(type: string): SseEvent[] {
    return this.events.filter((e) => e.event === type);
  }

  close(): void {
    this.response?.destroy();
  }
}
