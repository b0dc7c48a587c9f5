import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, test } from 'vitest';
import { settle } from '../../helpers/wait-for.ts';
import { AgentConnection, type ConnectionOptions } from '../../../bridge/ingest/connection.ts';
import { LineHandler } from '../../../bridge/ingest/line-handler.ts';
import { TurnBudget } from '../../../bridge/ingest/turn-budget.ts';
import { createSelfMetrics } from '../../../bridge/self-metrics.ts';
import { NodeTable } from '../../../bridge/state/node-table.ts';
import { silentLogger } from '../../../lib/logger.ts';
import { RateLimitedLog } from '../../../lib/rate-limited-log.ts';
import { connectTo } from '../../helpers/tcp-client.ts';

/**
 * docs/protocol.md section 8: no ERR (nor PONG) reply while more than 4096 bytes are unsent on the
 * connection. A real loopback socket pair whose agent side does not read; the bridge side's unsent
 * bytes are built up with PONG-like lines the agent has not read, so the test stays far below the
 * 10-replies-per-second limit and only the byte bound can explain a skipped reply.
 */
const OPTIONS: ConnectionOptions = {
  maxLineBytes: 4096,
  idleTimeoutMs: 600_000,
  errReplies: true,
  maxLinesPerSecond: 1_000_000,
  auth: 'off',
  tokens: undefined,
  authTimeoutMs: 10_000,
};
const LIMITS = {
  maxNodes: 1000,
  maxSeriesPerNode: 64,
  backfillWindowSeconds: 86_400,
  futureToleranceSeconds: 60,
  enforceInventory: false,
  maxCustomKeysPerNode: 16,
};

/** The backlog's megabytes take more event-loop rounds to cross loopback than one line does. */
const ROUNDS = 50_000;

const open: { server: Server; client: Socket }[] = [];
afterEach(async () => {
  for (const { server, client } of open.splice(0)) {
    client.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function pair() {
  const registry = new Registry();
  const metrics = createSelfMetrics(registry);
  const handler = new LineHandler(new NodeTable(LIMITS), [], metrics, new RateLimitedLog(silentLogger));
  const turn = new TurnBudget({ lines: 1_000_000, ms: 1e9, defer: (run) => setImmediate(run) });
  let connection: AgentConnection | undefined;
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    connection = new AgentConnection(socket, { handler, metrics, options: OPTIONS, turn }, undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = await connectTo((server.address() as AddressInfo).port);
  open.push({ server, client });
  await settle('the connection accepted', () => connection !== undefined, ROUNDS);
  const counter = async (name: string) => (await registry.getSingleMetric(name)!.get()).values[0]?.value ?? 0;
  const malformed = async () =>
    (await registry.getSingleMetric('obsmon_bridge_rejected_lines_total')!.get()).values.find(
      (v) => v.labels['reason'] === 'malformed',
    )?.value ?? 0;
  return {
    client,
    bridgeSide: connection!.socket,
    skipped: () => counter('obsmon_bridge_err_replies_skipped_total'),
    malformed,
  };
}

describe('ERR replies: none while more than 4096 bytes are unsent (docs/protocol.md section 8)', () => {
  test('an agent that does not read gets no ERR or PONG once its backlog passes 4096 bytes; replies resume when it reads', async () => {
    const { client, bridgeSide, skipped, malformed } = await pair();
    // The agent reads nothing: the kernel's buffers fill, then the bridge socket's own.
    const filler = Buffer.from('PONG unread\n'.repeat(87_382)); // ~1 MiB
    let fills = 0;
    while (bridgeSide.writableLength <= 4096) {
      if (++fills > 256) throw new Error('the loopback buffers never filled');
      bridgeSide.write(filler);
      // One turn of the event loop: libuv hands what the kernel takes over, the rest stays unsent.
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(bridgeSide.writableLength).toBeGreaterThan(4096);

    client.write('junk\nPING t1\n');
    await settle('the junk line refused', async () => (await malformed()) === 1, ROUNDS);
    expect(await skipped()).toBe(1);

    // The agent reads everything: nothing of the skipped ERR or PONG is in it.
    let received = '';
    client.on('data', (d: Buffer) => (received += d.toString('latin1')));
    const backlog = fills * filler.length;
    await settle('the backlog read', () => received.length >= backlog && bridgeSide.writableLength === 0, ROUNDS);
    expect(received.length).toBe(backlog);

    // With nothing unsent the same lines are answered.
    client.write('junk\nPING t2\n');
    await settle('the replies', () => received.length > backlog + 'ERR malformed\nPONG t2'.length, ROUNDS);
    expect(received.slice(backlog)).toBe('ERR malformed\nPONG t2\n');
    expect(await skipped()).toBe(1);
    expect(await malformed()).toBe(2);
  });
});
