import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { SseSubscriber } from '../../../bridge/peers/sse-subscriber.ts';
import type { SseMessage } from '../../../lib/sse-decoder.ts';
import { waitFor } from '../../helpers/wait-for.ts';

let server: Server;
let url: URL;
const asked: IncomingHttpHeaders[] = [];
beforeAll(async () => {
  // A peer (or a proxy in front of it) that ends its lines in CRLF, one event split across two writes.
  server = createServer((req, res) => {
    asked.push(req.headers);
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    if (asked.length === 1) {
      res.write('id: 7\r\nevent: status\r\ndata: {"node":"a"}\r');
      setTimeout(() => res.end('\n\r\n: heartbeat\r\n\r\n'), 20);
    } else res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/stream`);
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

test('CRLF events reach the subscriber, and the reconnection resumes after the last id', async () => {
  const messages: SseMessage[] = [];
  const subscriber = new SseSubscriber(url, (m) => messages.push(m));
  subscriber.start();
  try {
    await waitFor('the event', () => messages.length === 1);
    expect(messages).toEqual([{ id: '7', event: 'status', data: '{"node":"a"}' }]);
    await waitFor('the reconnection', () => asked.length >= 2, 10_000);
    expect(asked[1]!['last-event-id']).toBe('7');
  } finally {
    subscriber.stop();
  }
});
