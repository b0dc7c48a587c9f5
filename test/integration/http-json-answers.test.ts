import { mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { startTestBridge, type TestBridge } from '../helpers/test-bridge.ts';

// docs/api.md "Errors are short JSON" and docs/security.md "Headers", against a real bridge.
let bridge: TestBridge | undefined;

afterEach(async () => {
  await bridge?.stop();
  bridge = undefined;
});

async function answer(url: string, init?: RequestInit) {
  const res = await fetch(url, init);
  return { status: res.status, type: res.headers.get('content-type'), headers: res.headers, body: await res.text() };
}

function rawGet(port: number, path: string): Promise<{ status: number; type: string | null; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'] ?? null, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

function expectJson(a: { type: string | null; body: string }, body: Record<string, unknown>) {
  expect(a.type).toMatch(/^application\/json/);
  expect(JSON.parse(a.body)).toEqual(body);
}

describe('JSON error answers and headers of the HTTP API', () => {
  test('400, 403, 404, 405 and unknown_node are short JSON with the security headers', async () => {
    bridge = await startTestBridge();
    const u = bridge.httpUrl;
    const cases: Array<[string, RequestInit | undefined, number, Record<string, unknown>]> = [
      ['/api/v1/nodes/%ff', undefined, 400, { error: 'bad_request' }],
      ['/no/such/route', undefined, 404, { error: 'not_found' }],
      ['/api/v1/nodes/ghost', undefined, 404, { error: 'unknown_node', node: 'ghost' }],
      ['/api/v1/nodes', { method: 'PUT', body: 'x' }, 405, { error: 'method_not_allowed' }],
      ['/metrics', { method: 'POST', body: 'x' }, 405, { error: 'method_not_allowed' }],
    ];
    for (const [path, init, status, body] of cases) {
      const a = await answer(`${u}${path}`, init);
      expect(a.status, path).toBe(status);
      expectJson(a, body);
      expect(a.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(a.headers.get('x-frame-options'), path).toBe('DENY');
      expect(a.body, path).not.toMatch(/at |\/work\/|node_modules/);
    }
    expect((await answer(`${u}/api/v1/nodes`, { method: 'DELETE' })).headers.get('allow')).toBe('GET, HEAD');
    // fetch would normalise the dots away; send the path as docs/security.md writes it.
    const dots = await rawGet(bridge.httpAddress.port, '/vendor/../x');
    expect(dots.status).toBe(403);
    expectJson(dots, { error: 'forbidden' });
  });

  test('401 {"error":"unauthorized"} without credentials; /healthz stays open', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'obsmon-http-json-'));
    writeFileSync(join(dir, 'bearer'), 'sekrit-token\n');
    bridge = await startTestBridge({ httpBearerTokens: join(dir, 'bearer') });
    const u = bridge.httpUrl;
    for (const path of ['/metrics', '/api/v1/nodes', '/api/v1/safety/indi', '/']) {
      const a = await answer(`${u}${path}`);
      expect(a.status, path).toBe(401);
      expectJson(a, { error: 'unauthorized' });
    }
    expect((await answer(`${u}/healthz`)).status).toBe(200);
    const ok = await answer(`${u}/api/v1/nodes`, { headers: { authorization: 'Bearer sekrit-token' } });
    expect(ok.status).toBe(200);
  });

  test('the INDI safety route, the event log and the stream are cache-control: no-store', async () => {
    bridge = await startTestBridge();
    const a = await answer(`${bridge.httpUrl}/api/v1/safety/indi`);
    expect(a.status).toBe(200);
    expect(a.type).toMatch(/^application\/json/);
    expect(a.headers.get('cache-control')).toBe('no-store');
    expect(a.headers.get('x-frame-options')).toBe('DENY');
    const events = await answer(`${bridge.httpUrl}/api/v1/events`);
    expect(events.status).toBe(200);
    expect(events.headers.get('cache-control')).toBe('no-store');
    const controller = new AbortController();
    const stream = await fetch(`${bridge.httpUrl}/api/v1/stream`, { signal: controller.signal });
    expect(stream.headers.get('cache-control')).toBe('no-store');
    controller.abort();
  });
});
