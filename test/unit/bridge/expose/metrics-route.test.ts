import { request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, test } from 'vitest';
import { createHttpApp } from '../../../../bridge/expose/http.ts';
import { nodeExpositionChunks, renderNodeExposition } from '../../../../bridge/expose/node-exposition.ts';
import { writableSink, writeInSlices } from '../../../../bridge/expose/sliced-write.ts';
import { NodeTable } from '../../../../bridge/state/node-table.ts';
import { loadThresholdsConfig, Thresholds } from '../../../../config/thresholds.ts';
import { parseLine } from '../../../../protocol/line.ts';

const NOW = 1_763_884_800_000;
const thresholds = new Thresholds(loadThresholdsConfig());
const options = { downAfterMs: 60_000 };

function table(nodes: number): NodeTable {
  const t = new NodeTable({
    maxNodes: 100_000,
    maxSeriesPerNode: 64,
    backfillWindowSeconds: 86_400,
    futureToleranceSeconds: 60,
    enforceInventory: false,
  });
  for (let i = 0; i < nodes; i += 1) {
    const parsed = parseLine(`node${i} ${NOW / 1000} cpu=${i % 100} mem=20 disk=40 rx=1000 tx=50`);
    if (parsed.ok) t.accept(parsed.report, NOW);
  }
  return t;
}

let server: Server | undefined;
afterEach(() => {
  server?.close();
  server = undefined;
});

async function serve(t: NodeTable): Promise<string> {
  const registry = new Registry();
  const app = createHttpApp({
    registry,
    nodeExposition: () => nodeExpositionChunks(t, thresholds, NOW, options),
    table: t,
    thresholds,
    downAfterMs: 60_000,
    now: () => NOW,
    stream: (_req, res) => res.end(),
  });
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server!.once('listening', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function get(
  url: string,
  headers: Record<string, string>,
): Promise<{ headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(parts) }));
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

describe('GET /metrics', () => {
  test('is gzip-compressed when the scraper accepts it (Prometheus does), plain otherwise, the same text', async () => {
    const t = table(2000);
    const url = `${await serve(t)}/metrics`;
    const zipped = await get(url, { 'accept-encoding': 'gzip' });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers['vary']).toMatch(/Accept-Encoding/i);
    const plain = await get(url, { 'accept-encoding': 'identity' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    const text = gunzipSync(zipped.body).toString();
    expect(text).toBe(plain.body.toString());
    expect(zipped.body.length).toBeLessThan(plain.body.length / 4);
    // The node part, then the registry's own metrics.
    expect(text.startsWith(renderNodeExposition(t, thresholds, NOW, options))).toBe(true);
    expect(text).toContain('# TYPE obsmon_bridge_http_errors_total counter');
    expect((await get(url, { 'accept-encoding': 'gzip;q=0' })).headers['content-encoding']).toBeUndefined();
  });
});

describe('GET /metrics, chunk memory reused once written', () => {
  test('scrapes at the same time and one after another, gzip and plain, all get the same text', async () => {
    const t = table(3000);
    const url = `${await serve(t)}/metrics`;
    const expected = (await get(url, { 'accept-encoding': 'identity' })).body.toString();
    for (let round = 0; round < 3; round += 1) {
      const answers = await Promise.all([
        get(url, { 'accept-encoding': 'gzip' }),
        get(url, { 'accept-encoding': 'identity' }),
        get(url, { 'accept-encoding': 'gzip' }),
      ]);
      const texts = answers.map((a) =>
        (a.headers['content-encoding'] === 'gzip' ? gunzipSync(a.body) : a.body).toString(),
      );
      for (const text of texts) expect(text === expected, `round ${round}`).toBe(true);
    }
  });
});

describe('writeInSlices', () => {
  test('lets the event loop run between slices, so reports that arrive during a scrape are taken', async () => {
    const out = new PassThrough();
    const parts: Buffer[] = [];
    out.on('data', (c: Buffer) => parts.push(c));
    let turns = 0;
    let ran = false;
    setImmediate(() => (ran = true));
    const chunks = function* () {
      for (let i = 0; i < 10; i += 1) {
        turns += ran ? 0 : 1;
        yield [Buffer.from(`line ${i}\n`)];
      }
    };
    // A clock that says every chunk took a whole slice: a pause after each.
    let clock = 0;
    const done = await writeInSlices(
      chunks(),
      writableSink(out),
      () => false,
      5,
      () => (clock += 5),
    );
    expect(done).toBe(true);
    expect(ran).toBe(true);
    expect(turns).toBe(1);
    out.end();
    await new Promise((resolve) => out.on('end', resolve));
    expect(Buffer.concat(parts).toString()).toBe(Array.from({ length: 10 }, (_, i) => `line ${i}\n`).join(''));
  });

  test('stops rendering once the client has gone', async () => {
    const out = new PassThrough();
    let pulled = 0;
    const chunks = function* () {
      for (;;) {
        pulled += 1;
        yield [Buffer.from('x\n')];
      }
    };
    let clock = 0;
    let gone = false;
    setImmediate(() => (gone = true));
    expect(
      await writeInSlices(
        chunks(),
        writableSink(out),
        () => gone,
        5,
        () => (clock += 5),
      ),
    ).toBe(false);
    expect(pulled).toBeLessThan(5);
  });
});
