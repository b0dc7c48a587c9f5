import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { settle } from '../../helpers/wait-for.ts';
import { AgentConnection, type ConnectionOptions } from '../../../bridge/ingest/connection.ts';
import { LineHandler } from '../../../bridge/ingest/line-handler.ts';
import { TokenGrants } from '../../../bridge/ingest/token-grants.ts';
import { TurnBudget } from '../../../bridge/ingest/turn-budget.ts';
import { createSelfMetrics } from '../../../bridge/self-metrics.ts';
import { NodeTable } from '../../../bridge/state/node-table.ts';
import { silentLogger } from '../../../lib/logger.ts';
import { RateLimitedLog } from '../../../lib/rate-limited-log.ts';
import { connectTo } from '../../helpers/tcp-client.ts';

/**
 * AgentConnection on real loopback sockets with a real LineHandler and node table; the shared turn
 * budget's turn ends are queued for the test to run (the event loop's check phase, on demand), and
 * the per-connection budget runs on fake timers.
 */
const LIMITS = {
  maxNodes: 1000,
  maxSeriesPerNode: 64,
  backfillWindowSeconds: 86_400,
  futureToleranceSeconds: 60,
  enforceInventory: false,
  maxCustomKeysPerNode: 16,
};

const OPTIONS: ConnectionOptions = {
  maxLineBytes: 64,
  idleTimeoutMs: 600_000,
  errReplies: false,
  maxLinesPerSecond: 1_000_000,
  auth: 'off',
  tokens: undefined,
  authTimeoutMs: 10_000,
};

const open: { server: Server; clients: Socket[] }[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const { server, clients } of open.splice(0)) {
    for (const c of clients) c.destroy();
    await new Promise((resolve) => server.close(resolve));
  }
});

async function harness(turnLines: number, options: Partial<ConnectionOptions> = {}) {
  const registry = new Registry();
  const metrics = createSelfMetrics(registry);
  const table = new NodeTable(LIMITS);
  const handler = new LineHandler(table, [], metrics, new RateLimitedLog(silentLogger));
  const turnEnds: (() => void)[] = [];
  const turn = new TurnBudget({ lines: turnLines, ms: 1e9, defer: (run) => turnEnds.push(run) });
  const connections: AgentConnection[] = [];
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    connections.push(
      new AgentConnection(socket, { handler, metrics, options: { ...OPTIONS, ...options }, turn }, undefined),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const clients: Socket[] = [];
  open.push({ server, clients });
  const counter = async (name: string) => (await registry.getSingleMetric(name)!.get()).values[0]?.value ?? 0;
  return {
    registry,
    table,
    turn,
    connections,
    counter,
    lines: () => counter('obsmon_bridge_lines_total'),
    async connect(): Promise<Socket> {
      const client = await connectTo((server.address() as AddressInfo).port);
      clients.push(client);
      await settle('the connection accepted', () => connections.length === clients.length);
      return client;
    },
    /** The event loop reaches its check phase: the open turn ends and waiting connections resume. */
    endTurn(): void {
      const end = turnEnds.shift();
      if (end === undefined) throw new Error('no turn open');
      end();
    },
  };
}

const reports = (node: string, count: number, first: number) =>
  Array.from({ length: count }, (_, i) => `${node} ${first + i} cpu=${i % 100}\n`).join('');
const t0 = Math.floor(Date.now() / 1000) - 10_000;

describe('AgentConnection: the line budget per event-loop turn', () => {
  test('three flooding connections share one turn budget, resume in turns, and lose or reorder no line', async () => {
    const h = await harness(100);
    const nodes = ['a', 'b', 'c'];
    for (const node of nodes) (await h.connect()).write(reports(node, 1000, t0));
    // Turn 1: 100 lines in all, then every connection holds its chunk, paused.
    await settle('all three paused', () => h.turn.waitingCount === 3);
    expect(await h.lines()).toBe(100);
    expect(h.connections.every((c) => c.paused)).toBe(true);
    for (let turns = 2; turns <= 30; turns += 1) {
      h.endTurn();
      const expected = 100 * turns;
      await settle(`turn ${turns}: ${expected} lines`, async () => (await h.lines()) >= expected);
      // Never more than the budget in one turn, however many chunks arrive meanwhile.
      for (let i = 0; i < 50; i += 1) await new Promise((resolve) => setImmediate(resolve));
      expect(await h.lines()).toBe(expected);
    }
    expect(await h.counter('obsmon_bridge_reports_accepted_total')).toBe(3000);
    expect(await h.counter('obsmon_bridge_reports_out_of_order_total')).toBe(0);
    for (const node of nodes) expect(h.table.get(node)?.lastTimestamp).toBe(t0 + 999);
    // A turn's pause is not the agent's fault: not counted as a --max-lines-per-second pause.
    expect(await h.counter('obsmon_bridge_connection_pauses_total')).toBe(0);
  });

  test('a line cut across packets while its connection waits for a turn arrives whole', async () => {
    const h = await harness(2);
    const client = await h.connect();
    client.write(`n1 ${t0} cpu=1\nn1 ${t0 + 1} cpu=2\r\nn1 ${t0 + 2} cpu=3\nn1 ${t0 + 3} c`);
    await settle('paused after two lines', () => h.turn.waitingCount === 1);
    expect(h.table.get('n1')?.lastTimestamp).toBe(t0 + 1);
    expect(h.connections[0]!.paused).toBe(true);
    h.endTurn();
    await settle('the third line', () => h.table.get('n1')?.lastTimestamp === t0 + 2);
    client.write(`pu=4\n${'x'.repeat(100)}\nn1 ${t0 + 4} cpu=5\n`);
    await settle('paused again', () => h.turn.waitingCount === 1);
    expect(h.table.get('n1')?.lastTimestamp).toBe(t0 + 3);
    h.endTurn();
    await settle('the last line', () => h.table.get('n1')?.lastTimestamp === t0 + 4);
    // The overlong line is counted (rejected too_long) between them, in order.
    expect(await h.lines()).toBe(6);
    expect(await h.counter('obsmon_bridge_reports_accepted_total')).toBe(5);
  });

  test('a peer that half-closes while waiting for a turn: its last line without a newline still counts', async () => {
    const h = await harness(1);
    const client = await h.connect();
    client.end(`e1 ${t0} cpu=1\ne1 ${t0 + 1} cpu=2\ne1 ${t0 + 2} cpu=3`);
    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.resume();
    await settle('paused', () => h.turn.waitingCount === 1);
    h.endTurn();
    await settle('paused again', () => h.turn.waitingCount === 1);
    h.endTurn();
    await closed;
    expect(h.table.get('e1')?.lastTimestamp).toBe(t0 + 2);
    expect(await h.lines()).toBe(3);
  });

  test('lines waiting for a turn when the bridge closes the connection are counted as unprocessed', async () => {
    const h = await harness(10);
    const client = await h.connect();
    client.write(reports('u1', 50, t0));
    await settle('paused', () => h.turn.waitingCount === 1);
    h.connections[0]!.close('idle');
    await new Promise<void>((resolve) => client.once('close', () => resolve()));
    await settle('counted', async () => (await h.counter('obsmon_bridge_unprocessed_lines_total')) === 40);
    expect(await h.lines()).toBe(10);
    expect(h.turn.waitingCount).toBe(0);
  });
});

describe('AgentConnection: the per-connection lines-per-second budget beside the turn budget', () => {
  test('paused at --max-lines-per-second, resumed as the budget refills, nothing dropped', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'], now: Date.now() });
    const h = await harness(1_000_000, { maxLinesPerSecond: 50 });
    const client = await h.connect();
    client.write(reports('p1', 200, t0));
    await settle('the first second', async () => (await h.lines()) === 50 && h.connections[0]!.paused);
    expect(await h.counter('obsmon_bridge_connection_pauses_total')).toBeGreaterThan(0);
    // Waiting for its own budget, not for a turn.
    expect(h.turn.waitingCount).toBe(0);
    await vi.advanceTimersByTimeAsync(1000);
    const afterOneSecond = await h.lines();
    expect(afterOneSecond).toBeGreaterThan(50);
    expect(afterOneSecond).toBeLessThanOrEqual(101);
    await vi.advanceTimersByTimeAsync(3000);
    await settle('every line', async () => (await h.lines()) === 200);
    expect(h.table.get('p1')?.lastTimestamp).toBe(t0 + 199);
    expect(await h.counter('obsmon_bridge_reports_out_of_order_total')).toBe(0);
  });
});

describe('AgentConnection: the AGENT control line (docs/protocol.md §9)', () => {
  /** Rejected lines by reason. */
  const rejected = async (h: Awaited<ReturnType<typeof harness>>) => {
    const values = (await h.registry.getSingleMetric('obsmon_bridge_rejected_lines_total')!.get()).values;
    return Object.fromEntries(values.filter((v) => v.value > 0).map((v) => [String(v.labels['reason']), v.value]));
  };

  test('taken once, not counted as a line; each report of the connection records it on its node; a second is malformed', async () => {
    const h = await harness(1_000_000);
    const client = await h.connect();
    client.write(`AGENT obsmon-exporter/0.1.0\nag1 ${t0} cpu=1\nAGENT other/9\nag2 ${t0} cpu=2\n`);
    await settle('both reports', () => h.table.get('ag2') !== undefined);
    expect(h.table.get('ag1')?.agent).toBe('obsmon-exporter/0.1.0');
    // The second AGENT changed nothing: refused, counted as one malformed line.
    expect(h.table.get('ag2')?.agent).toBe('obsmon-exporter/0.1.0');
    expect(await h.lines()).toBe(3);
    expect(await rejected(h)).toEqual({ malformed: 1 });
    expect(await h.counter('obsmon_bridge_reports_accepted_total')).toBe(2);
    // Another connection without AGENT: its reports leave the node's agent unknown.
    const plain = await h.connect();
    plain.write(`ag1 ${t0 + 1} cpu=3\n`);
    await settle('the plain report', () => h.table.get('ag1')?.lastTimestamp === t0 + 1);
    expect(h.table.get('ag1')?.agent).toBeUndefined();
  });

  test('an overlong or ill-formed AGENT is not taken: refused as malformed like any stray control line', async () => {
    const h = await harness(1_000_000, { maxLineBytes: 256 });
    const client = await h.connect();
    client.write(`AGENT a/${'x'.repeat(63)}\nAGENT noversion\nAGENT constructor/1\nag3 ${t0} cpu=1\n`);
    await settle('the report', () => h.table.get('ag3') !== undefined);
    // The first two are refused; `constructor/1` is a well-formed token, kept as a plain string.
    expect(await rejected(h)).toEqual({ malformed: 2 });
    expect(h.table.get('ag3')?.agent).toBe('constructor/1');
  });

  test('with --auth required, AGENT before AUTH leaves AUTH its first-line place', async () => {
    const tokens = TokenGrants.of({ 'tok-0123456789abcdef': ['ag*'] });
    const h = await harness(1_000_000, { auth: 'required', tokens });
    const before = await h.connect();
    before.write(`AGENT sh-agent/1.0\nAUTH tok-0123456789abcdef\nag4 ${t0} cpu=1\n`);
    await settle('the report', () => h.table.get('ag4') !== undefined);
    expect(h.table.get('ag4')?.agent).toBe('sh-agent/1.0');
    const after = await h.connect();
    after.write(`AUTH tok-0123456789abcdef\nAGENT obsmon-exporter/0.1.0\nag5 ${t0} cpu=1\n`);
    await settle('the report', () => h.table.get('ag5') !== undefined);
    expect(h.table.get('ag5')?.agent).toBe('obsmon-exporter/0.1.0');
    expect(await rejected(h)).toEqual({});
  });
});
