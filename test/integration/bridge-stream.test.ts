import { connect } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { REPORT_EVENTS_GRACE_MS } from '../../bridge/expose/live-events.ts';
import { SseClient } from '../helpers/sse-client.ts';
import { connectTo, sendAndClose } from '../helpers/tcp-client.ts';
import { sampleValue, startTestBridge, type TestBridge } from '../helpers/test-bridge.ts';
import { waitFor } from '../helpers/wait-for.ts';

const now = () => Math.floor(Date.now() / 1000);
let bridge: TestBridge | undefined;
const clients: SseClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await bridge?.stop();
  bridge = undefined;
});

async function subscribe(query = '', headers: Record<string, string> = {}): Promise<SseClient> {
  const client = await SseClient.open(`${bridge!.httpUrl}/api/v1/stream${query}`, headers);
  clients.push(client);
  return client;
}

describe('GET /api/v1/stream', () => {
  test('streams reports and threshold crossings with event ids', async () => {
    bridge = await startTestBridge();
    const stream = await subscribe();
    const t = now();
    await sendAndClose(
      bridge.ingestPort,
      `d1 ${t} disk=50 cpu=1\nd1 ${t + 1} disk=85 cpu=1\nd1 ${t + 2} disk=95 cpu=1\n`,
    );
    await waitFor(
      'three reports and two status events',
      () => stream.ofType('report').length === 3 && stream.ofType('status').length === 2,
    );
    const statuses = stream
      .ofType('status')
      .map((e) => JSON.parse(e.data) as { metric: string; from: string; to: string; value: number });
    expect(statuses).toEqual([
      expect.objectContaining({ kind: 'metric', node: 'd1', metric: 'disk', from: 'ok', to: 'warning', value: 85 }),
      expect.objectContaining({ kind: 'metric', node: 'd1', metric: 'disk', from: 'warning', to: 'error', value: 95 }),
    ]);
    expect(JSON.parse(stream.ofType('report')[0]!.data)).toEqual({
      node: 'd1',
      timestamp: t,
      values: { disk: 50, cpu: 1 },
    });
    const ids = stream.events.map((e) => e.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test('a node going down and coming back is announced', async () => {
    bridge = await startTestBridge({ downAfter: 1 });
    const stream = await subscribe('?types=status');
    await sendAndClose(bridge.ingestPort, `flaky ${now()} cpu=1\n`);
    await waitFor('node down event', () => stream.events.some((e) => e.data.includes('"to":"down"')), 5000);
    await sendAndClose(bridge.ingestPort, `flaky ${now()} cpu=1\n`);
    await waitFor('node up event', () => stream.events.some((e) => e.data.includes('"to":"up"')));
    expect(stream.ofType('report')).toHaveLength(0);
  });

  test('a report carries the status judged at ingest of each live value not ok (docs/api.md)', async () => {
    bridge = await startTestBridge();
    const stream = await subscribe('?types=report');
    const t = now();
    // disk 80/90 and cpu 85/95 by default; the third report is older than the live values.
    await sendAndClose(
      bridge.ingestPort,
      `s1 ${t} disk=85 disk@/data=95 cpu=1\ns1 ${t + 1} disk=10 cpu=1\ns1 ${t - 5} disk=99 cpu=99\n`,
    );
    await waitFor('three reports', () => stream.ofType('report').length === 3);
    const reports = stream.ofType('report').map((e) => JSON.parse(e.data) as Record<string, unknown>);
    expect(reports.map((r) => r['status'])).toEqual([{ disk: 'warning', 'disk@/data': 'error' }, undefined, undefined]);
    const view = (await bridge.nodesJson()).nodes.find((n) => n['node'] === 's1') as {
      metrics: Array<{ key: string; qualifier: string | null; status: string }>;
    };
    expect(view.metrics.map((m) => `${m.key}@${m.qualifier ?? ''}:${m.status}`)).toEqual([
      'cpu@:ok',
      'disk@:ok',
      'disk@/data:error',
    ]);
  });

  test('filters by node', async () => {
    bridge = await startTestBridge();
    const stream = await subscribe('?node=b2&types=report');
    await sendAndClose(bridge.ingestPort, `a1 ${now()} cpu=1\nb2 ${now()} cpu=2\n`);
    await waitFor('b2 report', () => stream.ofType('report').length === 1);
    expect(JSON.parse(stream.events[0]!.data).node).toBe('b2');
  });

  test('a client reconnecting with Last-Event-ID misses nothing still in the window', async () => {
    bridge = await startTestBridge();
    const first = await subscribe('?types=report');
    const t = now();
    await sendAndClose(bridge.ingestPort, `r1 ${t} cpu=1\nr1 ${t + 1} cpu=2\n`);
    await waitFor('two reports', () => first.events.length === 2);
    const lastId = first.events[1]!.id!;
    first.close();
    await sendAndClose(bridge.ingestPort, `r1 ${t + 2} cpu=3\nr1 ${t + 3} cpu=4\n`);
    const second = await subscribe('?types=report', { 'last-event-id': lastId });
    await waitFor('the two missed reports', () => second.events.length === 2);
    expect(second.events.map((e) => JSON.parse(e.data).values.cpu)).toEqual([3, 4]);
    // An id from another bridge process replays the window after a reset event.
    const stranger = await subscribe('?types=report', { 'last-event-id': 'deadbeef.1' });
    await waitFor('reset then the window', () => stranger.events.length === 5);
    expect(stranger.events[0]!.event).toBe('reset');
  });

  test('report events are kept only while someone can read them: a resume across reports nobody could read gets a reset', async () => {
    let clock = Date.now();
    bridge = await startTestBridge({}, { now: () => clock });
    const seconds = () => Math.floor(clock / 1000);
    const first = await subscribe('?types=report');
    await sendAndClose(bridge.ingestPort, `q1 ${seconds()} cpu=1\n`);
    await waitFor('the first report', () => first.events.length === 1);
    const lastId = first.events[0]!.id!;
    first.close();
    await waitFor(
      'no subscriber',
      async () => sampleValue(await bridge!.metricsText(), 'obsmon_bridge_stream_subscribers', '') === 0,
    );
    // Longer than the grace after the last subscriber left: this report is stored, not made an event.
    clock += REPORT_EVENTS_GRACE_MS + 1000;
    await sendAndClose(bridge.ingestPort, `q1 ${seconds()} cpu=2\n`);
    await waitFor('the unread report in the table', async () => {
      const res = await fetch(`${bridge!.httpUrl}/api/v1/nodes/q1`);
      const node = (await res.json()) as { metrics: Array<{ key: string; value: number }> };
      return node.metrics.some((m) => m.key === 'cpu' && m.value === 2);
    });
    const resumed = await subscribe('?types=report', { 'last-event-id': lastId });
    await sendAndClose(bridge.ingestPort, `q1 ${seconds() + 1} cpu=3\n`);
    // As for an id older than the window: a reset, then the whole window (which lacks the unread report).
    await waitFor('reset, then the window and the live report', () => resumed.ofType('report').length === 2);
    expect(resumed.events[0]).toMatchObject({ event: 'reset', data: '{"reason":"window_exceeded"}' });
    expect(resumed.ofType('report').map((e) => JSON.parse(e.data).values.cpu)).toEqual([1, 3]);
  });

  test('only the nodes a filter names get report events: its resume is lossless, a wider one gets a reset', async () => {
    let clock = Date.now();
    bridge = await startTestBridge({}, { now: () => clock });
    const seconds = () => Math.floor(clock / 1000);
    const watched = async () => sampleValue(await bridge!.metricsText(), 'obsmon_bridge_stream_watched_nodes', '');
    const first = await subscribe('?types=report&node=a');
    await sendAndClose(bridge.ingestPort, `a ${seconds()} cpu=1\nb ${seconds()} cpu=1\n`);
    await waitFor('the first report of a', () => first.events.length === 1);
    const lastId = first.events[0]!.id!;
    expect(await watched()).toBe(1);
    first.close();
    await waitFor(
      'no subscriber',
      async () => sampleValue(await bridge!.metricsText(), 'obsmon_bridge_stream_subscribers', '') === 0,
    );
    // Within the grace: a's reports are still built for its return, b's never were.
    clock += 1000;
    await sendAndClose(bridge.ingestPort, `a ${seconds()} cpu=2\nb ${seconds()} cpu=2\n`);
    await waitFor('both reports in the table', async () => {
      const res = await fetch(`${bridge!.httpUrl}/api/v1/nodes/b`);
      const node = (await res.json()) as { metrics: Array<{ key: string; value: number }> };
      return node.metrics.some((m) => m.key === 'cpu' && m.value === 2);
    });
    const resumed = await subscribe('?types=report&node=a', { 'last-event-id': lastId });
    await waitFor("a's missed report", () => resumed.events.length === 1);
    expect(resumed.events[0]!.event).toBe('report');
    expect(JSON.parse(resumed.events[0]!.data)).toMatchObject({ node: 'a', values: { cpu: 2 } });

    const wider = await subscribe('?types=report', { 'last-event-id': lastId });
    await waitFor('reset, then the window', () => wider.ofType('report').length === 2);
    expect(wider.events[0]).toMatchObject({ event: 'reset', data: '{"reason":"window_exceeded"}' });
    expect(wider.ofType('report').map((e) => JSON.parse(e.data).node)).toEqual(['a', 'a']);

    // Reports nobody read are no gap for a client that wants status events only.
    const statuses = await subscribe('?types=status', { 'last-event-id': lastId });
    await sendAndClose(bridge.ingestPort, `b ${seconds() + 1} cpu=97\n`);
    await waitFor('the crossing', () => statuses.events.length === 1);
    expect(statuses.events[0]).toMatchObject({ event: 'status' });
    // Now that an unfiltered subscriber listens, b's reports are built too.
    await waitFor('b live', () => wider.ofType('report').length === 3);
    expect(JSON.parse(wider.ofType('report')[2]!.data)).toMatchObject({ node: 'b', values: { cpu: 97 } });
  });

  test('a subscriber that never reads is dropped, and ingest keeps going', async () => {
    bridge = await startTestBridge({ streamMaxBufferedBytes: 64 * 1024, maxLinesPerSecond: 10_000_000 });
    const slow = connect({ host: '127.0.0.1', port: Number(new URL(bridge.httpUrl).port) });
    slow.on('error', () => {});
    slow.write('GET /api/v1/stream HTTP/1.1\r\nHost: x\r\n\r\n');
    slow.pause();
    await waitFor(
      'subscriber registered',
      async () => sampleValue(await bridge!.metricsText(), 'obsmon_bridge_stream_subscribers', '') === 1,
    );
    const agent = await connectTo(bridge.ingestPort);
    const t = now() - 3000;
    const padding = Array.from({ length: 20 }, (_, i) => `c${i}=${i}`).join(' ');
    for (let i = 0; i < 20_000; i += 1) agent.write(`busy ${t + i * 0.1} ${padding}\n`);
    await waitFor(
      '20 000 reports accepted',
      async () => sampleValue(await bridge!.metricsText(), 'obsmon_bridge_reports_accepted_total', '') === 20_000,
      20_000,
      100,
    );
    const text = await bridge.metricsText();
    expect(sampleValue(text, 'obsmon_bridge_stream_dropped_subscribers_total', 'reason="slow"')).toBe(1);
    expect(sampleValue(text, 'obsmon_bridge_stream_subscribers', '')).toBe(0);
    agent.destroy();
    slow.destroy();
  });
});
