import type { AddressInfo } from 'node:net';
import express from 'express';
import { Counter, Registry } from 'prom-client';
import { afterEach, describe, expect, test } from 'vitest';
import { errorHandler } from '../../../../bridge/expose/http.ts';

// docs/api.md and docs/security.md: errors are a status and a short JSON word, never a stack
// trace, a message or a path, whatever NODE_ENV says; counted by answer.
let close: (() => void) | undefined;
afterEach(() => close?.());

async function serve(error: unknown) {
  const registry = new Registry();
  const counter = new Counter({ name: 'errors_total', help: 'h', labelNames: ['reason'], registers: [registry] });
  const app = express();
  app.get('/boom', () => {
    throw error;
  });
  app.use(errorHandler({ counter }));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  close = () => server.close();
  const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/boom`);
  return { res, body: await res.text(), metrics: await registry.metrics() };
}

describe('errorHandler', () => {
  test.each([
    ['a bug', new Error('secret at /work/app/x.ts'), 500, 'internal_error'],
    ['a thrown string', 'oops /etc/passwd', 500, 'internal_error'],
    ['a 5xx status', Object.assign(new Error('upstream'), { status: 502 }), 500, 'internal_error'],
    ['a 403', Object.assign(new Error('Forbidden /srv'), { status: 403 }), 403, 'forbidden'],
    ['a 404', Object.assign(new Error('ENOENT /srv/x'), { statusCode: 404 }), 404, 'not_found'],
    ['an unlisted 4xx', Object.assign(new Error('teapot'), { status: 418 }), 400, 'bad_request'],
  ])('%s is answered with a status and a short JSON word', async (_name, error, status, code) => {
    const previous = process.env['NODE_ENV'];
    process.env['NODE_ENV'] = 'development';
    try {
      const { res, body, metrics } = await serve(error);
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(JSON.parse(body)).toEqual({ error: code });
      expect(metrics).toContain(`errors_total{reason="${code}"} 1`);
    } finally {
      if (previous === undefined) delete process.env['NODE_ENV'];
      else process.env['NODE_ENV'] = previous;
    }
  });
});
