import type { Socket } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { startBridgeProcess, type BridgeProcess } from '../../testkit/bridge-process.ts';
import { connectTo } from '../helpers/tcp-client.ts';
import { sampleValue } from '../helpers/test-bridge.ts';
import { waitFor } from '../helpers/wait-for.ts';

/**
 * Floods against a real bridge process. The property asserted each time: a healthy agent's new
 * report still becomes visible, within a generous liveness bound (not a speed target; see bench/).
 */
const LIVENESS_BOUND_MS = 5000;
const MAX_RSS_BYTES = 400 * 1024 * 1024;
const HEAP_CAP_MB = 160;
let bridge: BridgeProcess | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await bridge?.stop();
  bridge = undefined;
});

async function healthyReportVisible(b: BridgeProcess, node: string, cpu: number): Promise<number> {
  const started = Date.now();
  const socket = await connectTo(b.ingestPort);
  sockets.push(socket);
  socket.write(`${node} ${Math.floor(Date.now() / 1000)} cpu=${cpu}\n`);
  await waitFor(
    `${node} cpu=${cpu} on /metrics`,
    async () => sampleValue(await b.metricsText(), 'obsmon_node_cpu_usage_percent', `node="${node}"`) === cpu,
    LIVENESS_BOUND_MS,
    50,
  );
  return Date.now() - started;
}

const rss = async (b: BridgeProcess) =>
  sampleValue(await b.metricsText(), 'process_resident_memory_bytes', '') ?? Infinity;

describe('floods', () => {
  test('10 000 idle connections held open: a healthy agent still reports', async () => {
    bridge = await startBridgeProcess(['--max-connections', '20000', '--max-connections-per-source', '20000']);
    for (let i = 0; i < 10_000; i += 1) sockets.push(await connectTo(bridge.ingestPort));
    await waitFor(
      '10 000 connections registered',
      async () => sampleValue(await bridge!.metricsText(), 'obsmon_bridge_connections', '') === 10_000,
      20_000,
      200,
    );
    await healthyReportVisible(bridge, 'healthy', 42);
    expect(await rss(bridge)).toBeLessThan(MAX_RSS_BYTES);
  }, 90_000);

  test('one agent sending 100x its rate is slowed by backpressure; others are not', async () => {
    bridge = await startBridgeProcess(['--max-lines-per-second', '100']);
    const flooder = await connectTo(bridge.ingestPort);
    sockets.push(flooder);
    const t = Math.floor(Date.now() / 1000) - 3600;
    // 100 reports/s allowed; this is 100 seconds' worth written at once.
    flooder.write(Array.from({ length: 10_000 }, (_, i) => `flooder ${t + i * 0.001} cpu=1`).join('\n') + '\n');
    await healthyReportVisible(bridge, 'neighbour', 7);
    const accepted = sampleValue(await bridge.metricsText(), 'obsmon_bridge_reports_accepted_total', '') ?? 0;
    // The flooder was held back (its lines wait in its socket, none are dropped).
    expect(accepted).toBeLessThan(10_000);
    expect(
      sampleValue(await bridge.metricsText(), 'obsmon_bridge_rejected_lines_total', 'reason="too_many_nodes"'),
    ).toBe(0);
  }, 60_000);

  test('a million distinct node names: the node table stops at --max-nodes, memory stays bounded', async () => {
    // A hard heap cap turns "memory stays bounded" into "the process survives": V8 would abort past it.
    bridge = await startBridgeProcess(
      ['--max-nodes', '20000', '--max-lines-per-second', '1000000', '--no-err-replies'],
      { nodeFlags: [`--max-old-space-size=${HEAP_CAP_MB}`] },
    );
    await healthyReportVisible(bridge, 'known', 1);
    const t = Math.floor(Date.now() / 1000);
    const CONNECTIONS = 50;
    const PER_CONNECTION = 20_000;
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async (_, c) => {
        const socket = await connectTo(bridge!.ingestPort);
        sockets.push(socket);
        for (let start = 0; start < PER_CONNECTION; start += 2000) {
          const lines = Array.from({ length: 2000 }, (_, i) => `n${c}x${start + i} ${t} cpu=1`).join('\n') + '\n';
          if (!socket.write(lines)) await new Promise((resolve) => socket.once('drain', resolve));
        }
      }),
    );
    const total = CONNECTIONS * PER_CONNECTION;
    // Polled slowly: every scrape renders 20 000 nodes, and the machine has two cores.
    await waitFor(
      'all million lines counted',
      async () => sampleValue(await bridge!.metricsText(), 'obsmon_bridge_lines_total', '') === total + 1,
      90_000,
      1000,
    );
    const text = await bridge.metricsText();
    expect(sampleValue(text, 'obsmon_bridge_nodes', '')).toBe(20_000);
    expect(sampleValue(text, 'obsmon_bridge_rejected_lines_total', 'reason="too_many_nodes"')).toBe(total + 1 - 20_000);
    expect(bridge.child.exitCode).toBeNull();
    await healthyReportVisible(bridge, 'known', 2);
  }, 150_000);
});
