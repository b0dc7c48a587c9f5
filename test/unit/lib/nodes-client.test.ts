import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { bridgeUrl, fetchNodes } from '../../../lib/nodes-client.ts';
import { sendAndClose } from '../../helpers/tcp-client.ts';
import { startTestBridge, type TestBridge } from '../../helpers/test-bridge.ts';
import { waitFor } from '../../helpers/wait-for.ts';

describe('fetchNodes against a real bridge', () => {
  let bridge: TestBridge;
  beforeAll(async () => {
    bridge = await startTestBridge();
    const now = Math.floor(Date.now() / 1000);
    await sendAndClose(bridge.ingestPort, `AGENT obsmon-exporter/0.1.0\nccd01 ${now} cpu=12 disk@/data=50\n`);
    await sendAndClose(bridge.ingestPort, `plain01 ${now} cpu=1\n`);
    await waitFor('the reports to be applied', async () => (await bridge.nodesJson()).nodes.length === 2);
  });
  afterAll(() => bridge.stop());

  test('the answer passes the schema and keeps every field of the NodeView', async () => {
    const answer = await fetchNodes(bridge.httpUrl, { timeoutMs: 5000 });
    expect(answer).toEqual(await bridge.nodesJson());
    const byName = new Map(answer.nodes.map((n) => [n.node, n]));
    expect(byName.get('ccd01')).toMatchObject({
      node: 'ccd01',
      up: true,
      agent: 'obsmon-exporter/0.1.0',
      metrics: [{ key: 'cpu' }, { key: 'disk' }],
    });
    // No AGENT line on its connection: unknown, as null.
    expect(byName.get('plain01')?.agent).toBeNull();
  });

  test('scope=local is asked for on request', async () => {
    expect((await fetchNodes(`${bridge.httpUrl}/`, { timeoutMs: 5000, scope: 'local' })).nodes).toHaveLength(2);
  });
});

describe('fetchNodes against a hostile server', () => {
  let server: Server;
  let url: string;
  let answer: { status: number; body: string } = { status: 200, body: '{}' };
  let asked: { url: string | undefined; headers: IncomingHttpHeaders } | undefined;
  beforeAll(async () => {
    server = createServer((req, res) => {
      asked = { url: req.url, headers: req.headers };
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/obsmon`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('a path prefix, the scope and the headers are sent', async () => {
    answer = { status: 200, body: '{"nodes":[]}' };
    await fetchNodes(url, { timeoutMs: 5000, scope: 'local', headers: { authorization: 'Bearer t' } });
    expect(asked?.url).toBe('/obsmon/api/v1/nodes?scope=local');
    expect(asked?.headers.authorization).toBe('Bearer t');
  });

  test.each([
    [{ status: 503, body: '{}' }, 'HTTP 503'],
    [{ status: 200, body: '{"nodes":{}}' }, 'unexpected answer at nodes: '],
    [{ status: 200, body: '{"nodes":[{"node":"a","group":"g"}]}' }, 'unexpected answer at nodes.0.critical'],
    [{ status: 200, body: '{"downAfterSeconds":-1,"nodes":[]}' }, 'unexpected answer at downAfterSeconds'],
    [{ status: 200, body: 'not json' }, /JSON/],
  ])('%j is refused with a one-line reason', async (served, reason) => {
    answer = served;
    await expect(fetchNodes(url, { timeoutMs: 5000 })).rejects.toThrow(reason);
  });
});

test('bridgeUrl keeps a path prefix with or without a trailing slash', () => {
  expect(bridgeUrl('http://h/obsmon', 'api/v1/nodes').href).toBe('http://h/obsmon/api/v1/nodes');
  expect(bridgeUrl('http://h/obsmon/', 'api/v1/nodes').href).toBe('http://h/obsmon/api/v1/nodes');
});
