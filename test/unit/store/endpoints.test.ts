import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { gzipsTo } from '../../../bridge/store/endpoint.ts';
import { InfluxV1Endpoint } from '../../../bridge/store/influx-v1-endpoint.ts';
import { InfluxV2Endpoint } from '../../../bridge/store/influx-v2-endpoint.ts';
import { WriteError } from '../../../bridge/store/write-error.ts';

interface Captured {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

let server: Server | TcpServer | undefined;

afterEach(async () => {
  await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
  server = undefined;
});

/**
 * A loopback server answering every request with these raw bytes (Node's own HTTP server refuses to
 * send a control byte in a header; InfluxDB does, echoing a refused line in X-Influxdb-Error).
 */
async function rawAnswer(answer: string | undefined): Promise<string> {
  const tcp = createTcpServer((socket) => {
    let seen = '';
    socket.on('data', (d: Buffer) => {
      seen += d.toString('latin1');
      // Answer once the request's headers and body are in (bodies here are small, sent in one go).
      const end = seen.indexOf('\r\n\r\n');
      const length = Number(/content-length: (\d+)/i.exec(seen)?.[1] ?? 0);
      if (answer !== undefined && end >= 0 && seen.length >= end + 4 + length) {
        socket.end(answer, 'latin1');
        seen = '';
      }
    });
    socket.on('error', () => {});
  });
  server = tcp;
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(tcp.address() as AddressInfo).port}`;
}

const refusedWithControlByte = (() => {
  const body = '{"error":"partial write: unable to parse \'garbage\\u0007line\': missing fields dropped=0"}\n';
  return `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nX-Influxdb-Error: partial write: unable to parse 'garbage\x07line': missing fields dropped=0\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`;
})();

/** A loopback HTTP server that records requests and answers `status` (with optional headers and body). */
async function capture(
  status: number,
  headers: Record<string, string> = {},
  body = '',
): Promise<{ url: string; requests: Captured[] }> {
  const requests: Captured[] = [];
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const text = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw).toString() : raw.toString();
      requests.push({ method: req.method!, url: req.url!, headers: req.headers, body: text });
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(body);
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, requests };
}

const lines = (n: number) => Array.from({ length: n }, (_, i) => `obsmon_node,node=n${i} cpu=${i} 1763884800`);

async function failure(promise: Promise<void>): Promise<WriteError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WriteError);
  return error as WriteError;
}

describe('InfluxDB 1.x endpoint (/write)', () => {
  test('posts to /write with db, rp, second precision and basic auth; gzips large bodies', async () => {
    const srv = await capture(204);
    const endpoint = new InfluxV1Endpoint({
      url: srv.url,
      db: 'obs mon',
      rp: 'year',
      user: 'u',
      password: 'p',
      timeoutMs: 2000,
      // As for a database on another host: to loopback, bodies go uncompressed (see below).
      gzip: true,
    });
    await endpoint.send(lines(2));
    await endpoint.send(lines(100));
    const [small, large] = srv.requests;
    expect(small).toMatchObject({
      method: 'POST',
      url: '/write?db=obs+mon&rp=year&precision=s',
      body: lines(2).join('\n'),
    });
    expect(small!.headers.authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
    expect(small!.headers['content-encoding']).toBeUndefined();
    expect(large!.headers['content-encoding']).toBe('gzip');
    expect(large!.body).toBe(lines(100).join('\n'));
  });

  test("a 400 is a line problem with the server's reason; a 503 with Retry-After is retryable after that many seconds", async () => {
    let srv = await capture(400, {}, '{"error":"partial write: field type conflict dropped=1"}');
    let error = await failure(new InfluxV1Endpoint({ url: srv.url, db: 'd', timeoutMs: 2000 }).send(lines(1)));
    expect(error).toMatchObject({
      reason: 'rejected',
      status: 400,
      message: 'HTTP 400: partial write: field type conflict dropped=1',
    });
    expect(error.canRetry()).toBe(false);
    await new Promise((resolve) => server!.close(resolve));
    srv = await capture(503, { 'retry-after': '7' }, 'busy');
    error = await failure(new InfluxV1Endpoint({ url: srv.url, db: 'd', timeoutMs: 2000 }).send(lines(1)));
    expect(error).toMatchObject({ reason: 'server_error', retryAfterMs: 7000 });
  });

  test('a 400 whose X-Influxdb-Error echoes a control byte is still a 400 (rejected), not unreachable', async () => {
    const url = await rawAnswer(refusedWithControlByte);
    const error = await failure(new InfluxV1Endpoint({ url, db: 'd', timeoutMs: 2000 }).send(['garbage\x07line']));
    expect(error).toMatchObject({
      reason: 'rejected',
      status: 400,
      message: "HTTP 400: partial write: unable to parse 'garbage\\x07line': missing fields dropped=0",
    });
  });

  test('an answer that is not HTTP is bad_response; no answer within the deadline is timeout', async () => {
    let url = await rawAnswer('SSH-2.0-OpenSSH_9.2\r\n');
    expect((await failure(new InfluxV1Endpoint({ url, db: 'd', timeoutMs: 2000 }).send(lines(1)))).reason).toBe(
      'bad_response',
    );
    await new Promise((resolve) => server!.close(resolve));
    url = await rawAnswer(undefined);
    expect(await failure(new InfluxV1Endpoint({ url, db: 'd', timeoutMs: 200 }).send(lines(1)))).toMatchObject({
      reason: 'timeout',
      message: 'No answer within 200 ms',
    });
  });

  test('a refused connection is unreachable', async () => {
    const srv = await capture(204);
    await new Promise((resolve) => server!.close(resolve));
    server = undefined;
    const error = await failure(new InfluxV1Endpoint({ url: srv.url, db: 'd', timeoutMs: 2000 }).send(lines(1)));
    expect(error.reason).toBe('unreachable');
  });
});

describe('gzip', () => {
  test('bodies to a database on this host (loopback) are not compressed; to any other host they are', () => {
    for (const url of ['http://127.0.0.1:8086', 'http://localhost:8086/', 'http://[::1]:8086', 'http://127.1.2.3'])
      expect(gzipsTo(url), url).toBe(false);
    for (const url of ['http://db:8086', 'https://influx.example.org', 'http://10.0.0.5:8086', 'http://[fe80::1]:8086'])
      expect(gzipsTo(url), url).toBe(true);
  });

  test.each(['v1', 'v2'] as const)(
    '%s: a large body to loopback goes uncompressed by default, the same bytes',
    async (api) => {
      const srv = await capture(204);
      const endpoint =
        api === 'v1'
          ? new InfluxV1Endpoint({ url: srv.url, db: 'd', timeoutMs: 2000 })
          : new InfluxV2Endpoint({ url: srv.url, org: 'o', bucket: 'b', timeoutMs: 2000, maxLines: 5000 });
      await endpoint.send(lines(100));
      expect(srv.requests[0]!.headers['content-encoding']).toBeUndefined();
      expect(srv.requests[0]!.body).toBe(lines(100).join('\n'));
    },
  );
});

describe('v2 endpoint (/api/v2/write)', () => {
  test('posts to /api/v2/write with org, bucket, precision s and the token; gzips large bodies', async () => {
    const srv = await capture(204);
    const endpoint = new InfluxV2Endpoint({
      url: srv.url,
      org: 'obs',
      bucket: 'mon/year',
      token: 'secret',
      timeoutMs: 2000,
      maxLines: 5000,
      gzip: true,
    });
    await endpoint.send(lines(2));
    await endpoint.send(lines(100));
    const [small, large] = srv.requests;
    expect(small).toMatchObject({
      method: 'POST',
      url: '/api/v2/write?org=obs&bucket=mon%2Fyear&precision=s',
      body: lines(2).join('\n'),
    });
    expect(small!.headers.authorization).toBe('Token secret');
    expect(large!.headers['content-encoding']).toBe('gzip');
    expect(large!.body).toBe(lines(100).join('\n'));
  });

  test('a 404 fails at once (the client alone would retry it) and the lines stay with the caller', async () => {
    const srv = await capture(404, {}, '{"code":"not found","message":"bucket \\"x\\" not found"}');
    const endpoint = new InfluxV2Endpoint({ url: srv.url, org: 'o', bucket: 'x', timeoutMs: 2000, maxLines: 10 });
    // Timers faked: a retry the endpoint scheduled would be a timer pending after the failure.
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'setImmediate'] });
    try {
      const error = await failure(endpoint.send(lines(3)));
      expect(error).toMatchObject({ reason: 'not_found', status: 404, message: 'HTTP 404: bucket "x" not found' });
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
    // Nor was it sent again at once: the next request the server sees is the next send.
    await failure(endpoint.send(lines(1)));
    expect(srv.requests.map((r) => r.body)).toEqual([lines(3).join('\n'), lines(1).join('\n')]);
  });

  test('a 400 whose X-Influxdb-Error echoes a control byte is still a 400 (rejected)', async () => {
    const url = await rawAnswer(refusedWithControlByte);
    const endpoint = new InfluxV2Endpoint({ url, org: 'o', bucket: 'b', timeoutMs: 2000, maxLines: 10 });
    expect(await failure(endpoint.send(['garbage\x07line']))).toMatchObject({ reason: 'rejected', status: 400 });
  });

  test('Retry-After is read as seconds, not milliseconds', async () => {
    const srv = await capture(429, { 'retry-after': '2' }, '{"code":"too many requests","message":"slow down"}');
    const endpoint = new InfluxV2Endpoint({ url: srv.url, org: 'o', bucket: 'b', timeoutMs: 2000, maxLines: 10 });
    expect(await failure(endpoint.send(lines(1)))).toMatchObject({ reason: 'throttled', retryAfterMs: 2000 });
  });

  test('concurrent sends carry exactly their own lines', async () => {
    const srv = await capture(204);
    const endpoint = new InfluxV2Endpoint({ url: srv.url, org: 'o', bucket: 'b', timeoutMs: 2000, maxLines: 10 });
    await Promise.all([endpoint.send(['a x=1 1']), endpoint.send(['b x=1 1', 'c x=1 1'])]);
    expect(srv.requests.map((r) => r.body).sort()).toEqual(['a x=1 1', 'b x=1 1\nc x=1 1']);
  });
});
