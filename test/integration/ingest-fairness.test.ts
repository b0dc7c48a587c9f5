import { Agent, request } from 'node:http';
import type { Socket } from 'node:net';
import { afterEach, expect, test } from 'vitest';
import { startBridgeProcess, type BridgeProcess } from '../../testkit/bridge-process.ts';
import { connectTo } from '../helpers/tcp-client.ts';
import { sampleValue } from '../helpers/test-bridge.ts';
import { waitFor } from '../helpers/wait-for.ts';

/**
 * HTTP is served while agents flood (docs/security.md, the line budget per event-loop turn). With
 * the bridge process stopped (SIGSTOP), 50 connected agents queue their lines in the kernel and the
 * HTTP requests are queued after them, on connections the bridge already accepted; then the bridge
 * continues and finds everything readable at once, the flood first. Without a budget shared per
 * event-loop turn it handles every queued line before it reads a request.
 */
const CONNECTIONS = 50;
// Small enough that all of it waits in the kernel's buffers while the bridge is stopped.
const LINES_PER_CONNECTION = 500;
let bridge: BridgeProcess | undefined;
const sockets: Socket[] = [];
const agents: Agent[] = [];

afterEach(async () => {
  if (bridge !== undefined && bridge.child.exitCode === null) bridge.child.kill('SIGCONT');
  for (const s of sockets.splice(0)) s.destroy();
  for (const a of agents.splice(0)) a.destroy();
  await bridge?.stop();
  bridge = undefined;
});

/** GET over `agent`'s kept-alive connection; `onStatus` runs when the status line arrives. */
function get(agent: Agent, url: string, onStatus: () => void = () => {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, timeout: 60_000 }, (res) => {
      onStatus();
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer within 60 s`)));
    req.on('error', reject);
    req.end();
  });
}

test('/healthz and /metrics are answered while 50 connections flood, before the flood ends; every line counted', async () => {
  // The per-connection budget out of the way: only the shared per-turn budget is under test.
  const b = (bridge = await startBridgeProcess(['--max-lines-per-second', '10000000']));
  const t = Math.floor(Date.now() / 1000) - 3600;
  let floodClosed = 0;
  const flood = await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      const socket = await connectTo(b.ingestPort);
      sockets.push(socket);
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      void closed.then(() => (floodClosed += 1));
      return { socket, closed };
    }),
  );
  await waitFor(
    'the flood connections accepted',
    async () => sampleValue(await b.metricsText(), 'obsmon_bridge_connections', '') === CONNECTIONS,
    20_000,
  );
  // One kept-alive HTTP connection each, accepted before the flood.
  const [health, scrape] = [
    new Agent({ keepAlive: true, maxSockets: 1 }),
    new Agent({ keepAlive: true, maxSockets: 1 }),
  ];
  agents.push(health, scrape);
  expect((await get(health, `${b.httpUrl}/healthz`)).status).toBe(200);
  expect((await get(scrape, `${b.httpUrl}/metrics`)).status).toBe(200);

  process.kill(b.child.pid!, 'SIGSTOP');
  flood.forEach(({ socket }, c) => {
    // Half-close after the last line: the bridge closes its side once it has handled them all.
    socket.end(Array.from({ length: LINES_PER_CONNECTION }, (_, i) => `flood${c} ${t + i} cpu=${i % 100}\n`).join(''));
  });
  // Let the flood reach the kernel first, then queue the requests behind it.
  await new Promise((resolve) => setTimeout(resolve, 300));
  let closedAtHealthz = Number.NaN;
  const healthz = get(health, `${b.httpUrl}/healthz`, () => (closedAtHealthz = floodClosed));
  const metrics = get(scrape, `${b.httpUrl}/metrics`);
  await new Promise((resolve) => setTimeout(resolve, 300));
  process.kill(b.child.pid!, 'SIGCONT');

  const [h, m] = await Promise.all([healthz, metrics]);
  const total = CONNECTIONS * LINES_PER_CONNECTION;
  expect(h.status).toBe(200);
  expect(closedAtHealthz).toBeLessThan(CONNECTIONS);
  // Each flood connection reports its own node: /healthz counts the nodes seen so far.
  expect((JSON.parse(h.body) as { nodes: number }).nodes).toBeLessThan(CONNECTIONS);
  expect(m.status).toBe(200);
  // The scrape was rendered while lines were still waiting: its own count says so.
  expect(sampleValue(m.body, 'obsmon_bridge_lines_total', '')).toBeLessThan(total);

  await Promise.all(flood.map((f) => f.closed));
  await waitFor(
    'every flood line counted',
    async () => sampleValue(await b.metricsText(), 'obsmon_bridge_reports_accepted_total', '') === total,
    30_000,
    200,
  );
  const text = await b.metricsText();
  expect(sampleValue(text, 'obsmon_bridge_lines_total', '')).toBe(total);
  expect(sampleValue(text, 'obsmon_bridge_reports_out_of_order_total', '')).toBe(0);
  expect(sampleValue(text, 'obsmon_bridge_unprocessed_lines_total', '')).toBe(0);
  expect(sampleValue(text, 'obsmon_bridge_ingest_turn_yields_total', '')).toBeGreaterThan(0);
}, 120_000);
