import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, test } from 'vitest';
import { ReportQueue } from '../../../exporter/queue.ts';
import { TcpSender } from '../../../exporter/sender.ts';
import { createLogger } from '../../../lib/logger.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of cleanup.splice(0).reverse()) await stop();
});

test('an agent pointed at an HTTP port says so, keeps its reports queued', async () => {
  // A real HTTP server, as the bridge's --http-port is: it answers the first report with 400.
  const http = createServer((_request, response) => response.end('ok'));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise((resolve) => http.close(() => resolve())));
  const port = (http.address() as AddressInfo).port;

  const logged: string[] = [];
  const queue = new ReportQueue({ maxReports: 100, maxAgeSeconds: 1e9 });
  const sender = new TcpSender(
    queue,
    { servers: [{ host: '127.0.0.1', port }], backoff: { initialMs: 50, maxMs: 200 }, connectTimeoutMs: 1000 },
    createLogger('exporter', 'info', (line) => logged.push(line)),
  );
  cleanup.push(() => sender.stop(200));
  queue.push({ line: 'n1 1700000001 cpu=1', timestamp: 1_700_000_001 });
  sender.notify();

  await waitFor('the lost-connection warning', () => logged.some((l) => l.includes(' lost ')));
  const warning = logged.find((l) => l.includes(' lost '))!;
  expect(warning).toContain('the peer speaks HTTP');
  expect(warning).toContain('agent port (default 7070)');
  // The report written to the HTTP server was never acknowledged: it is queued again.
  await waitFor('the report back in the queue', () => queue.length === 1);
});
