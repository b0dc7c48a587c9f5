import { request } from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { connectTo } from '../helpers/tcp-client.ts';
import { sampleValue, startTestBridge, type TestBridge } from '../helpers/test-bridge.ts';
import { waitFor } from '../helpers/wait-for.ts';

let bridge: TestBridge | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await bridge?.stop();
  bridge = undefined;
});

const httpPort = () => Number(new URL(bridge!.httpUrl).port);

/** A raw connection to the HTTP port that records when the bridge closes it. */
async function rawConnection(): Promise<{ socket: Socket; closed: () => boolean; received: () => string }> {
  const socket = await connectTo(httpPort());
  sockets.push(socket);
  let closed = false;
  let received = '';
  socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
  socket.on('close', () => (closed = true));
  return { socket, closed: () => closed, received: () => received };
}

/** GET with the path sent exactly as given (fetch would normalise `..`). */
function rawGet(path: string): Promise<{ status: number; body: string; type: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: httpPort(), path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: res.headers['content-type'] ?? '' }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Read in-process: a scrape would itself need one of the connections under test. */
async function gauge(name: string): Promise<number | undefined> {
  const metric = bridge!.registry.getSingleMetric(name);
  return (await metric?.get())?.values[0]?.value;
}

const healthy = () => fetch(`${bridge!.httpUrl}/healthz`, { signal: AbortSignal.timeout(5000) }).then((r) => r.ok);

describe('HTTP bounds', () => {
  test('unfinished requests (slowloris) and silent connections are closed by --http-request-timeout, and counted', async () => {
    bridge = await startTestBridge({ httpRequestTimeout: 0.5 });
    const partial = await Promise.all(Array.from({ length: 20 }, () => rawConnection()));
    const silent = await Promise.all(Array.from({ length: 20 }, () => rawConnection()));
    for (const [i, c] of partial.entries()) c.socket.write(`GET /api/v1/nodes HTTP/1.1\r\nHost: x\r\nX-Slow-${i}: `);
    // One more header byte now and then: still never a complete request.
    const drip = setInterval(() => {
      for (const c of partial) if (!c.closed()) c.socket.write('a');
    }, 100);
    try {
      await waitFor(
        'every unfinished connection closed',
        () => [...partial, ...silent].every((c) => c.closed()),
        15_000,
        50,
      );
    } finally {
      clearInterval(drip);
    }
    expect(partial[0]!.received()).toContain('408');
    const text = await bridge.metricsText();
    expect(sampleValue(text, 'obsmon_bridge_http_connections_closed_total', 'reason="timeout"')).toBe(40);
    expect(await healthy()).toBe(true);
  });

  test('an idle keep-alive connection is closed after --http-keep-alive-timeout', async () => {
    bridge = await startTestBridge({ httpKeepAliveTimeout: 0.3 });
    const c = await rawConnection();
    c.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor('the answer', () => c.received().includes('"status":"ok"'));
    await waitFor('closed while idle', () => c.closed(), 3000);
  });

  test('a streaming response is not cut by the request timeout', async () => {
    bridge = await startTestBridge({ httpRequestTimeout: 0.3 });
    const stream = await rawConnection();
    stream.socket.write('GET /api/v1/stream HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor('stream open', () => stream.received().includes('retry: 2000'));
    await new Promise((r) => setTimeout(r, 1500)); // several deadlines and checks pass
    expect(stream.closed()).toBe(false);
  });

  test('over --http-max-connections new connections are refused and counted; /healthz answers again once they go', async () => {
    bridge = await startTestBridge({ httpMaxConnections: 10, httpRequestTimeout: 60 });
    const hogs = await Promise.all(Array.from({ length: 10 }, () => rawConnection()));
    await waitFor(
      'the bridge holds 10 connections',
      async () => (await gauge('obsmon_bridge_http_connections')) === 10,
    );
    const refused = await Promise.all(Array.from({ length: 5 }, () => rawConnection()));
    await waitFor('every connection over the cap closed', () => refused.every((c) => c.closed()), 5000);
    expect(refused.every((c) => c.received() === '')).toBe(true);
    expect(hogs.some((c) => c.closed())).toBe(false);
    for (const h of hogs) h.socket.destroy();
    await waitFor('/healthz answers', () => healthy().catch(() => false), 10_000, 100);
    const text = await bridge.metricsText();
    expect(
      sampleValue(text, 'obsmon_bridge_http_connections_rejected_total', 'reason="max_connections"'),
    ).toBeGreaterThanOrEqual(5);
  });

  test('errors are short JSON without stack traces or paths, whatever NODE_ENV says', async () => {
    bridge = await startTestBridge();
    const cases = [
      '/vendor/../x',
      '/vendor/..%2f..%2fpackage.json',
      '/api/v1/nodes/%ff',
      '/api/v1/nodes/%ff/history?metric=cpu',
      '/%ff',
      '/vendor/%ff',
    ];
    for (const path of cases) {
      const res = await rawGet(path);
      expect([400, 403, 404], path).toContain(res.status);
      expect(res.type, path).toContain('application/json');
      expect(res.body.length, path).toBeLessThan(64);
      expect(res.body, path).toMatch(/^\{"error":"[a-z_]+"\}$/);
      expect(res.body, path).not.toContain('/');
    }
    expect((await rawGet('/api/v1/nodes/%ff')).body).toBe('{"error":"bad_request"}');
    const text = await bridge.metricsText();
    expect(sampleValue(text, 'obsmon_bridge_http_errors_total', 'reason="bad_request"')).toBeGreaterThanOrEqual(3);
  });
});
