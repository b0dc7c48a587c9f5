import type { Socket } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { startBridgeProcess, type BridgeProcess } from '../../testkit/bridge-process.ts';
import { SseClient } from '../helpers/sse-client.ts';
import { connectTo } from '../helpers/tcp-client.ts';
import { sampleValue, startTestBridge, type TestBridge } from '../helpers/test-bridge.ts';

/**
 * A deadline per request (a starved event loop fails the test), and one retry when a kept-alive
 * connection was reset: the server may close an idle one just as the client reuses it (a race of
 * HTTP keep-alive itself, not a bound of the bridge).
 */
async function patientFetch(url: string): Promise<Response> {
  try {
    return await fetch(url, { signal: AbortSignal.timeout(10_000) });
  } catch (error) {
    if ((error as { cause?: { code?: string } }).cause?.code !== 'ECONNRESET') throw error;
    return fetch(url, { signal: AbortSignal.timeout(10_000) });
  }
}
import { waitFor } from '../helpers/wait-for.ts';

const MiB = 1 << 20;
let bridge: TestBridge | undefined;
let child: BridgeProcess | undefined;
const sockets: Socket[] = [];
const clients: SseClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const s of sockets.splice(0)) s.destroy();
  await bridge?.stop();
  bridge = undefined;
  await child?.stop('SIGKILL');
  child = undefined;
});

/** Subscribers that send their request and never read a byte (the socket is paused). */
async function pausedSubscribers(httpUrl: string, count: number): Promise<void> {
  const port = Number(new URL(httpUrl).port);
  for (let i = 0; i < count; i += 1) {
    const socket = await connectTo(port);
    socket.pause();
    socket.write('GET /api/v1/stream HTTP/1.1\r\nHost: x\r\n\r\n');
    sockets.push(socket);
  }
}

const PADDING = Array.from({ length: 20 }, (_, i) => `c${i}=${i}.5`).join(' ');

/**
 * `count` reports of about 300 bytes of stream each, written with backpressure. With `reader`, in
 * batches it keeps up with: the reader shares this process, so an unpaced burst would make it the
 * slow subscriber.
 */
async function flood(ingestPort: number, count: number, reader?: SseClient, node = 'busy'): Promise<void> {
  const agent = await connectTo(ingestPort);
  sockets.push(agent);
  const t = Math.floor(Date.now() / 1000) - count;
  const start = reader?.events.length ?? 0;
  for (let i = 0; i < count; i += 1) {
    if (!agent.write(`${node} ${t + i} ${PADDING}\n`)) await new Promise((r) => agent.once('drain', r));
    if (reader !== undefined && i % 500 === 499)
      await waitFor(`reader at ${i + 1}`, () => reader.events.length >= start + i + 1 - 500, 30_000, 10);
  }
}

const metric = (text: string, name: string, labels = '') => sampleValue(text, name, labels) ?? Number.NaN;

describe('stream subscriber bounds', () => {
  // 200, not the default cap of 1000: each stuck loopback socket also takes ~4 MB of kernel buffer
  // (docs/security.md), and 1000 of them would exhaust the shared test machine's TCP memory.
  test('subscribers that never read, under a flood: bounded memory, /healthz answers, all dropped as slow, one over the cap refused', async () => {
    child = await startBridgeProcess(['--max-lines-per-second', '10000000', '--stream-max-subscribers', '200']);
    const url = child.httpUrl;
    await pausedSubscribers(url, 200);
    await waitFor(
      '200 subscribers',
      async () => metric(await child!.metricsText(), 'obsmon_bridge_stream_subscribers') === 200,
      30_000,
      100,
    );
    const over = await fetch(`${url}/api/v1/stream`);
    expect(over.status).toBe(503);
    expect(await over.json()).toEqual({ error: 'too_many_subscribers' });
    const before = metric(await child.metricsText(), 'process_resident_memory_bytes');

    let maxBuffered = 0;
    let maxRss = 0;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        // A deadline per request: a starved event loop fails the test here.
        const health = await patientFetch(`${url}/healthz`);
        expect(health.status).toBe(200);
        const text = await (await patientFetch(`${url}/metrics`)).text();
        maxBuffered = Math.max(maxBuffered, metric(text, 'obsmon_bridge_stream_buffered_bytes'));
        maxRss = Math.max(maxRss, metric(text, 'process_resident_memory_bytes'));
        await new Promise((r) => setTimeout(r, 200));
      }
    })();
    watcher.catch(() => {}); // awaited below; a failure there fails the test
    try {
      await flood(child.ingestPort, 20_000);
      await waitFor(
        '20 000 reports accepted',
        async () => metric(await child!.metricsText(), 'obsmon_bridge_reports_accepted_total') === 20_000,
        60_000,
        200,
      );
      await waitFor(
        'every paused subscriber dropped',
        async () => metric(await child!.metricsText(), 'obsmon_bridge_stream_subscribers') === 0,
        60_000,
        200,
      );
    } finally {
      watching = false;
      await watcher;
    }
    const text = await child.metricsText();
    expect(metric(text, 'obsmon_bridge_stream_dropped_subscribers_total', 'reason="slow"')).toBe(200);
    expect(metric(text, 'obsmon_bridge_stream_refused_subscribers_total', 'reason="max_subscribers"')).toBe(1);
    // Documented bound (docs/security.md): what Node holds for all subscribers stays under
    // --stream-max-total-buffered-bytes (64 MiB). Before the fix each paused subscriber held up to
    // its 1 MiB plus per-write overhead: gigabytes for 1000, several hundred MiB for 200.
    expect(maxBuffered).toBeLessThanOrEqual(64 * MiB);
    expect(maxRss - before).toBeLessThan(128 * MiB);
    console.log(
      `200 paused subscribers + 20 000 reports: RSS ${Math.round(before / MiB)} -> max ${Math.round(maxRss / MiB)} MiB, max buffered ${Math.round(maxBuffered / 1024)} KiB`,
    );
  }, 180_000);

  test('over --stream-max-total-buffered-bytes the longest-stalled subscribers are dropped; a subscriber that reads gets everything', async () => {
    bridge = await startTestBridge({
      maxLinesPerSecond: 10_000_000,
      maxLineBytes: 65_536,
      streamMaxBufferedBytes: 256 * MiB,
      streamMaxTotalBufferedBytes: 64 * 1024,
    });
    const reader = await SseClient.open(`${bridge.httpUrl}/api/v1/stream?types=report`);
    clients.push(reader);
    await pausedSubscribers(bridge.httpUrl, 8);
    await waitFor(
      '9 subscribers',
      async () => metric(await bridge!.metricsText(), 'obsmon_bridge_stream_subscribers') === 9,
      10_000,
    );
    let maxBuffered = 0;
    const gauge = bridge.registry.getSingleMetric('obsmon_bridge_stream_buffered_bytes')!;
    const sampler = setInterval(() => {
      void Promise.resolve(gauge.get()).then((v) => (maxBuffered = Math.max(maxBuffered, v.values[0]?.value ?? 0)));
    }, 5);
    // Events of ~15 KB, so the paused sockets' kernel buffers (~4 MB each) fill and Node starts holding.
    const wide = Array.from(
      { length: 200 },
      (_, i) => `disk@/${'m'.repeat(60)}${String(i).padStart(3, '0')}=${i % 100}`,
    ).join(' ');
    const agent = await connectTo(bridge.ingestPort);
    sockets.push(agent);
    const t = Math.floor(Date.now() / 1000) - 2000;
    try {
      for (let i = 0; i < 1500; i += 1) {
        if (!agent.write(`wide ${t + i} ${wide}\n`)) await new Promise((r) => agent.once('drain', r));
        if (i % 50 === 49) await waitFor(`reader at ${i + 1}`, () => reader.events.length >= i + 1 - 50, 30_000, 10);
      }
      await waitFor('the reader got all 1500 reports', () => reader.events.length === 1500, 60_000, 50);
      // Only a subscriber whose socket took nothing for 1 s is dropped: on a fast machine the flood can
      // end sooner, so go on reporting (bounded) until the stalled ones have been dropped.
      let sent = 1500;
      await waitFor(
        'the stalled subscribers dropped for the total bound',
        async () => {
          agent.write(`wide ${t + sent} ${wide}\n`);
          sent += 1;
          return (
            metric(
              await bridge!.metricsText(),
              'obsmon_bridge_stream_dropped_subscribers_total',
              'reason="total_buffered"',
            ) > 0
          );
        },
        30_000,
        100,
      );
      await waitFor(`the reader got all ${sent} reports`, () => reader.events.length === sent, 60_000, 50);
    } finally {
      clearInterval(sampler);
    }
    const text = await bridge.metricsText();
    expect(metric(text, 'obsmon_bridge_stream_dropped_subscribers_total', 'reason="total_buffered"')).toBeGreaterThan(
      0,
    );
    expect(metric(text, 'obsmon_bridge_stream_dropped_subscribers_total', 'reason="slow"')).toBe(0);
    // The bound plus what draining subscribers have in flight (at most one write each).
    expect(maxBuffered).toBeLessThanOrEqual(64 * 1024 + 9 * 64 * 1024);
  }, 120_000);
});

describe('stream resume larger than --stream-max-buffered-bytes', () => {
  const seqOf = (id: string | undefined) => Number(id!.slice(id!.lastIndexOf('.') + 1));

  test('an id older than the window, a foreign id and an id at the start of the window: reset or replay, then live events', async () => {
    // Default window (20 000 events) and bound (1 MiB): a full window is about 6 MB of stream.
    bridge = await startTestBridge({ maxLinesPerSecond: 10_000_000 });
    const first = await SseClient.open(`${bridge.httpUrl}/api/v1/stream?types=report`);
    clients.push(first);
    await flood(bridge.ingestPort, 25_000, first);
    await waitFor('25 000 reports streamed', () => first.events.length === 25_000, 60_000, 50);
    first.close();
    const oldId = first.events[0]!.id!; // seq 1, long out of the window
    const windowStart = first.events[5000]!.id!; // oldest still held: replays 19 999 events
    const resumes = {
      old: await SseClient.open(`${bridge.httpUrl}/api/v1/stream?types=report`, { 'last-event-id': oldId }),
      foreign: await SseClient.open(`${bridge.httpUrl}/api/v1/stream?types=report`, { 'last-event-id': 'deadbeef.1' }),
      windowStart: await SseClient.open(`${bridge.httpUrl}/api/v1/stream?types=report`, {
        'last-event-id': windowStart,
      }),
    };
    clients.push(...Object.values(resumes));
    await flood(bridge.ingestPort, 1, undefined, 'live01');
    for (const [name, client] of Object.entries(resumes)) {
      await waitFor(
        `${name}: the live event after the replay`,
        () => client.events.some((e) => e.data.includes('"live01"')),
        60_000,
        50,
      );
      const reports = client.ofType('report');
      expect(reports.at(-1)!.data, name).toContain('"live01"');
      // Replayed in order, nothing skipped.
      const seqs = reports.map((e) => seqOf(e.id));
      expect(
        seqs.every((s, i) => i === 0 || s === seqs[i - 1]! + 1),
        name,
      ).toBe(true);
    }
    expect(resumes.old.events[0]).toMatchObject({ event: 'reset', data: '{"reason":"window_exceeded"}' });
    expect(resumes.foreign.events[0]).toMatchObject({ event: 'reset', data: '{"reason":"bridge_restarted"}' });
    expect(resumes.old.ofType('report')).toHaveLength(20_001);
    expect(resumes.foreign.ofType('report')).toHaveLength(20_001);
    expect(resumes.windowStart.ofType('reset')).toHaveLength(0);
    expect(resumes.windowStart.ofType('report')).toHaveLength(20_000);
    expect(metric(await bridge.metricsText(), 'obsmon_bridge_stream_dropped_subscribers_total', 'reason="slow"')).toBe(
      0,
    );
  }, 180_000);

  test('an id ahead of the newest event resumes live', async () => {
    bridge = await startTestBridge();
    // Report events are kept while someone listens (docs/api.md): one subscriber during the flood.
    const listener = await SseClient.open(`${bridge.httpUrl}/api/v1/stream?types=report`);
    clients.push(listener);
    await flood(bridge.ingestPort, 3, listener);
    const probe = await SseClient.open(`${bridge.httpUrl}/api/v1/stream?types=report`, {
      'last-event-id': 'deadbeef.1',
    });
    clients.push(probe);
    await waitFor('the window', () => probe.ofType('report').length === 3);
    const instance = probe.ofType('report')[0]!.id!.split('.')[0]!;
    const ahead = await SseClient.open(`${bridge.httpUrl}/api/v1/stream?types=report`, {
      'last-event-id': `${instance}.999999`,
    });
    clients.push(ahead);
    await flood(bridge.ingestPort, 1, undefined, 'live02');
    await waitFor('the live event', () => ahead.events.some((e) => e.data.includes('"live02"')));
    expect(ahead.events).toHaveLength(1);
  });

  test('a subscriber that reads slower than the window moves gets a reset in the stream and goes on', async () => {
    bridge = await startTestBridge({
      maxLinesPerSecond: 10_000_000,
      maxLineBytes: 65_536,
      streamWindow: 50,
      streamMaxBufferedBytes: 256 * MiB,
    });
    const port = Number(new URL(bridge.httpUrl).port);
    const socket = await connectTo(port);
    sockets.push(socket);
    socket.pause();
    socket.write('GET /api/v1/stream?types=report HTTP/1.1\r\nHost: x\r\n\r\n');
    await waitFor(
      'subscribed',
      async () => metric(await bridge!.metricsText(), 'obsmon_bridge_stream_subscribers') === 1,
    );
    // ~15 KB events: 600 of them (9 MB) overflow the paused socket's kernel buffer and the 50-event window.
    const wide = Array.from(
      { length: 200 },
      (_, i) => `disk@/${'m'.repeat(60)}${String(i).padStart(3, '0')}=${i % 100}`,
    ).join(' ');
    const agent = await connectTo(bridge.ingestPort);
    sockets.push(agent);
    const t = Math.floor(Date.now() / 1000) - 1000;
    for (let i = 0; i < 600; i += 1)
      if (!agent.write(`wide ${t + i} ${wide}\n`)) await new Promise((r) => agent.once('drain', r));
    await waitFor(
      '600 reports accepted',
      async () => metric(await bridge!.metricsText(), 'obsmon_bridge_reports_accepted_total') === 600,
      30_000,
      100,
    );
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
    socket.resume();
    await waitFor('the last report', () => received.includes(`"timestamp":${t + 599}`), 30_000, 50);
    expect(received).toContain('event: reset\ndata: {"reason":"window_exceeded"}');
  }, 60_000);
});
