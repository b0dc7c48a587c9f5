import { afterEach, describe, expect, test } from 'vitest';
import { checkMetrics } from '../helpers/promtool.ts';
import { connectTo, sendAndClose } from '../helpers/tcp-client.ts';
import { sampleValue, startTestBridge, type TestBridge } from '../helpers/test-bridge.ts';
import { waitFor } from '../helpers/wait-for.ts';

const now = () => Math.floor(Date.now() / 1000);
let bridge: TestBridge | undefined;

afterEach(async () => {
  await bridge?.stop();
  bridge = undefined;
});

describe('bridge ingest over real sockets', () => {
  test('a standard report appears on /metrics with node, mount and interface labels', async () => {
    bridge = await startTestBridge();
    await sendAndClose(
      bridge.ingestPort,
      `ccd01 ${now()} cpu=12.5 mem=43.1 disk=81.2 disk@/data=75.3 rx=123456 tx=7890 rx@eth0=1200 load1=0.52 procs=312\n`,
    );
    const text = await bridge.metricsText();
    expect(sampleValue(text, 'obsmon_node_cpu_usage_percent', 'node="ccd01"')).toBe(12.5);
    expect(sampleValue(text, 'obsmon_node_disk_usage_percent', 'mount="/"')).toBe(81.2);
    expect(sampleValue(text, 'obsmon_node_disk_usage_percent', 'mount="/data"')).toBe(75.3);
    // One aggregation level per name: the all-interfaces total and one interface are two metrics.
    expect(sampleValue(text, 'obsmon_node_network_interface_receive_bytes_per_second', 'interface="eth0"')).toBe(1200);
    expect(sampleValue(text, 'obsmon_node_network_receive_bytes_per_second', 'interface="eth0"')).toBeUndefined();
    expect(text).toContain('obsmon_node_network_receive_bytes_per_second{node="ccd01"} 123456');
    expect(sampleValue(text, 'obsmon_node_up', 'node="ccd01"')).toBe(1);
    expect(sampleValue(text, 'obsmon_threshold', 'node="ccd01",metric="disk",severity="warning"')).toBe(80);
    expect(sampleValue(text, 'obsmon_bridge_reports_accepted_total', '')).toBe(1);
  });

  test('frames lines across arbitrary packet splits and several reports per packet', async () => {
    bridge = await startTestBridge();
    const t = now();
    const payload = `a1 ${t} cpu=1\na2 ${t} cpu=2\r\na3 ${t} cpu=3\n`;
    const socket = await connectTo(bridge.ingestPort);
    // One byte per write, with the Nagle algorithm off, gives many small segments.
    socket.setNoDelay(true);
    for (const ch of payload.slice(0, 20)) socket.write(ch);
    socket.write(payload.slice(20));
    await waitFor('three accepted reports', () => bridge!.table.size === 3);
    socket.destroy();
    expect([...bridge.table.nodes()].map((n) => n.series.get('cpu')?.value)).toEqual([1, 2, 3]);
  });

  test('counts garbage by reason, answers ERR, and keeps the connection for the next good line', async () => {
    bridge = await startTestBridge({ maxLineBytes: 256 });
    const t = now();
    const reply = await sendAndClose(
      bridge.ingestPort,
      [
        `garbage`,
        `n1 ${t} cpu=abc`,
        `bad"node ${t} cpu=1`,
        `n1 ${t} cpu=1 ${'x'.repeat(400)}=1`,
        `n1 ${t - 10 * 86400} cpu=1`,
        `n1 ${t} cpu=42`,
        '',
      ].join('\n'),
    );
    expect(reply.split('\n').filter(Boolean)).toEqual([
      'ERR malformed',
      'ERR bad_value',
      'ERR bad_node',
      'ERR too_long',
      'ERR too_old',
    ]);
    const text = await bridge.metricsText();
    for (const reason of ['malformed', 'bad_value', 'bad_node', 'too_long', 'too_old']) {
      expect(sampleValue(text, 'obsmon_bridge_rejected_lines_total', `reason="${reason}"`), reason).toBe(1);
    }
    expect(sampleValue(text, 'obsmon_node_cpu_usage_percent', 'node="n1"')).toBe(42);
  });

  test('an overlong line spanning many packets is discarded once and the connection goes on', async () => {
    bridge = await startTestBridge({ maxLineBytes: 1024 });
    const socket = await connectTo(bridge.ingestPort);
    for (let i = 0; i < 64; i += 1) socket.write('y'.repeat(16 * 1024));
    socket.write(`\nafter ${now()} cpu=5\n`);
    await waitFor('the line after the overlong one', () => bridge!.table.get('after'));
    socket.destroy();
    const text = await bridge.metricsText();
    expect(sampleValue(text, 'obsmon_bridge_rejected_lines_total', 'reason="too_long"')).toBe(1);
  });

  test('an agent that never reads its socket is not harmed by ERR replies and the bridge stays responsive', async () => {
    bridge = await startTestBridge({ maxLinesPerSecond: 10_000_000 });
    const socket = await connectTo(bridge.ingestPort);
    socket.pause(); // never read: replies pile up in the kernel buffers until the bridge stops sending
    const garbage = 'junk\n'.repeat(20_000);
    for (let i = 0; i < 5; i += 1) socket.write(garbage);
    socket.write(`reader ${now()} cpu=9\n`);
    await waitFor('the good line after 100 000 bad ones', () => bridge!.table.get('reader'), 15_000);
    const text = await bridge.metricsText();
    expect(sampleValue(text, 'obsmon_bridge_rejected_lines_total', 'reason="malformed"')).toBe(100_000);
    expect(sampleValue(text, 'obsmon_bridge_err_replies_skipped_total', '')).toBeGreaterThan(99_000);
    socket.destroy();
  });

  test('refuses connections beyond --max-connections and counts them', async () => {
    bridge = await startTestBridge({ maxConnections: 2 });
    const held = [await connectTo(bridge.ingestPort), await connectTo(bridge.ingestPort)];
    await waitFor(
      'two open connections',
      async () => sampleValue(await bridge!.metricsText(), 'obsmon_bridge_connections', '') === 2,
    );
    const third = await connectTo(bridge.ingestPort);
    await new Promise((resolve) => third.once('close', resolve));
    const text = await bridge.metricsText();
    expect(sampleValue(text, 'obsmon_bridge_connections_rejected_total', 'reason="max_connections"')).toBe(1);
    for (const s of held) s.destroy();
  });

  test('closes idle connections after --idle-timeout', async () => {
    bridge = await startTestBridge({ idleTimeout: 1 });
    const socket = await connectTo(bridge.ingestPort);
    const closedAt = await new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
    expect(closedAt).toBeGreaterThan(0);
    const text = await bridge.metricsText();
    expect(sampleValue(text, 'obsmon_bridge_connections_closed_total', 'reason="idle"')).toBe(1);
  });

  test('a node that stops reporting goes down and its values leave /metrics; node_up stays', async () => {
    let clock = Date.now();
    bridge = await startTestBridge({ downAfter: 30 }, { now: () => clock });
    await sendAndClose(bridge.ingestPort, `quiet ${Math.floor(clock / 1000)} cpu=3 disk=50\n`);
    expect(sampleValue(await bridge.metricsText(), 'obsmon_node_cpu_usage_percent', 'node="quiet"')).toBe(3);
    clock += 31_000;
    const text = await bridge.metricsText();
    expect(sampleValue(text, 'obsmon_node_up', 'node="quiet"')).toBe(0);
    expect(sampleValue(text, 'obsmon_node_cpu_usage_percent', 'node="quiet"')).toBeUndefined();
    expect(sampleValue(text, 'obsmon_node_last_report_timestamp_seconds', 'node="quiet"')).toBeGreaterThan(0);
    const api = await bridge.nodesJson();
    expect(api.nodes[0]).toMatchObject({ node: 'quiet', up: false, status: 'stale' });
  });

  test('a broken agent clock still counts, and the skew is exposed', async () => {
    bridge = await startTestBridge({ futureTolerance: 60 });
    await sendAndClose(bridge.ingestPort, `fast ${now() + 7200} cpu=11\n`);
    const text = await bridge.metricsText();
    expect(sampleValue(text, 'obsmon_node_cpu_usage_percent', 'node="fast"')).toBe(11);
    expect(sampleValue(text, 'obsmon_node_clock_skew_seconds', 'node="fast"')).toBeGreaterThan(7100);
    expect(sampleValue(text, 'obsmon_bridge_reports_clock_ahead_total', '')).toBe(1);
  });

  test('the API reports status per node and metric from the thresholds', async () => {
    bridge = await startTestBridge();
    await sendAndClose(bridge.ingestPort, `full ${now()} cpu=10 disk=91 disk@/data=85\nfine ${now()} cpu=10 disk=10\n`);
    const { nodes } = await bridge.nodesJson();
    const full = nodes.find((n) => n['node'] === 'full') as {
      status: string;
      metrics: Array<{ key: string; qualifier: string | null; status: string; error: number }>;
    };
    expect(full.status).toBe('error');
    expect(full.metrics.find((m) => m.qualifier === '/data')).toMatchObject({ status: 'warning', error: 90 });
    expect(nodes.find((n) => n['node'] === 'fine')).toMatchObject({ status: 'ok', up: true });
    const one = await fetch(`${bridge.httpUrl}/api/v1/nodes/full`);
    expect(((await one.json()) as { node: string }).node).toBe('full');
    expect((await fetch(`${bridge.httpUrl}/api/v1/nodes/nope`)).status).toBe(404);
    expect((await fetch(`${bridge.httpUrl}/healthz`)).status).toBe(200);
  });

  test('the exposition passes the real promtool check metrics after hostile names and keys', async () => {
    bridge = await startTestBridge();
    const t = now();
    const hostile = [
      `evil"} 1\nfake_metric 1 ${t} cpu=1`,
      `ok-node ${t} disk@C:\\"}{=5 disk@/a"b=6 rx@e\\th0=7 weird_key=1e300 temp@"quoted"=-12`,
      `n\x00ul ${t} cpu=1`,
      `ünïcode ${t} cpu=1`,
      `ok-node ${t} cpu=NaN mem=Inf`,
      `${'a'.repeat(64)} ${t} cpu=1 x${'y'.repeat(31)}=2`,
      `spaces   ${t}   cpu=1   mem=2`,
    ].join('\n');
    await sendAndClose(bridge.ingestPort, `${hostile}\n`);
    const text = await bridge.metricsText();
    expect(text).toContain('mount="C:\\\\\\"}{"');
    expect(text).not.toContain('fake_metric');
    const check = checkMetrics(text);
    expect(check.output).not.toMatch(/error/i);
    expect(check.status).toBe(0);
  });
});

describe('bridge under many agents', () => {
  test('300 concurrent agents, 10 reports each, all land with their newest values', async () => {
    bridge = await startTestBridge();
    const t0 = now() - 100;
    await Promise.all(
      Array.from({ length: 300 }, async (_, i) => {
        const lines = Array.from({ length: 10 }, (_, k) => `agent${i} ${t0 + k * 10} cpu=${k} procs=${i}`).join('\n');
        await sendAndClose(bridge!.ingestPort, `${lines}\n`);
      }),
    );
    expect(bridge.table.size).toBe(300);
    for (const node of bridge.table.nodes()) expect(node.series.get('cpu')?.value).toBe(9);
    const text = await bridge.metricsText();
    expect(sampleValue(text, 'obsmon_bridge_reports_accepted_total', '')).toBe(3000);
    expect(sampleValue(text, 'obsmon_bridge_nodes', '')).toBe(300);
    expect(sampleValue(text, 'obsmon_bridge_series', '')).toBe(600);
    expect(sampleValue(text, 'obsmon_bridge_connections_total', '')).toBe(300);
  });
});

describe('acknowledgement', () => {
  test('PING <token> is answered PONG <token> after the lines before it, and is not counted as a report', async () => {
    bridge = await startTestBridge();
    const reply = await sendAndClose(bridge.ingestPort, `p1 ${now()} cpu=1\nPING 41\ngarbage\nPING abc\n`);
    // PONG waits for storage (none here: at once, but after the synchronous ERR reply).
    expect(reply.split('\n').filter((l) => l.startsWith('PONG'))).toEqual(['PONG 41', 'PONG abc']);
    expect(reply).toContain('ERR malformed\n');
    const text = await bridge.metricsText();
    expect(sampleValue(text, 'obsmon_bridge_lines_total', '')).toBe(2);
    expect(sampleValue(text, 'obsmon_bridge_rejected_lines_total', 'reason="malformed"')).toBe(1);
  });
});
