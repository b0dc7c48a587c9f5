import { createServer, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, test, vi } from 'vitest';
import { ReportQueue } from '../../../exporter/queue.ts';
import { TcpSender, type SenderEvents, type ServerAddress } from '../../../exporter/sender.ts';
import { silentLogger } from '../../../lib/logger.ts';
import { VERSION } from '../../../lib/version.ts';
import { freePort } from '../../../testkit/free-port.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { LineServer } from './line-server.ts';

const FAST_BACKOFF = { initialMs: 20, maxMs: 100 };
const cleanup: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const stop of cleanup.splice(0).reverse()) await stop();
  vi.useRealTimers();
});

// The acknowledgement check is a one-shot setInterval on the wall clock: faking both (not setTimeout, which the
// sockets' waits use) moves it on at once, without real seconds of waiting.
const FAKE_ACK_CLOCK: Parameters<typeof vi.useFakeTimers>[0] = { toFake: ['setInterval', 'clearInterval', 'Date'] };

async function server(port = 0): Promise<LineServer> {
  const s = await LineServer.start(port);
  cleanup.push(() => s.stop());
  return s;
}

function sender(
  servers: ServerAddress[],
  events: SenderEvents = {},
  maxReports = 10_000,
  ackTimeoutMs = 15_000,
  settled: number[] = [],
) {
  const queue = new ReportQueue({ maxReports, maxAgeSeconds: 1e9 }, undefined, {
    settled: (rs) => settled.push(...rs.map((r) => r.timestamp)),
  });
  const s = new TcpSender(
    queue,
    { servers, backoff: FAST_BACKOFF, connectTimeoutMs: 1000, ackTimeoutMs },
    silentLogger,
    events,
  );
  cleanup.push(() => s.stop(500));
  let t = 1_700_000_000;
  const push = (n: number, pad = '') => {
    for (let i = 0; i < n; i += 1) {
      t += 1;
      queue.push({ line: `n1 ${t} cpu=1${pad}`, timestamp: t });
    }
    s.notify();
  };
  return { s, queue, push };
}

const local = (port: number): ServerAddress => ({ host: '127.0.0.1', port });
const times = (lines: readonly string[]) => lines.map((l) => Number(l.split(' ')[1]));
const consecutive = (ts: readonly number[]) => ts.every((t, i) => i === 0 || t === ts[i - 1]! + 1);

describe('TcpSender', () => {
  test('sends AUTH, then AGENT obsmon-exporter/<version>, before the first report of each connection', async () => {
    const received: string[] = [];
    const raw = createServer((socket) => {
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
      socket.on('end', () => socket.end());
      socket.on('close', () => received.push(text));
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    cleanup.push(() => new Promise<void>((resolve) => raw.close(() => resolve())));
    const queue = new ReportQueue({ maxReports: 10, maxAgeSeconds: 1e9 });
    const s = new TcpSender(
      queue,
      { servers: [local((raw.address() as AddressInfo).port)], backoff: FAST_BACKOFF, token: 'tok' },
      silentLogger,
    );
    queue.push({ line: 'n1 1700000001 cpu=1', timestamp: 1_700_000_001 });
    s.notify();
    await waitFor('connection', () => s.state === 'connected');
    await s.stop(1000);
    await waitFor('the connection closed', () => received.length === 1);
    expect(received[0]).toBe(`AUTH tok\nAGENT obsmon-exporter/${VERSION}\nn1 1700000001 cpu=1\nPING 1\n`);
  });

  test('sends AGENT again on every new connection', async () => {
    const srv = await server();
    const { s, push } = sender([local(srv.port)]);
    push(1);
    await waitFor('first line', () => srv.lines.length === 1);
    srv.dropConnections();
    await waitFor('reconnected', () => srv.connections === 2 && s.state === 'connected');
    push(1);
    await waitFor('second line', () => srv.lines.length >= 2);
    expect(srv.agents).toEqual([`obsmon-exporter/${VERSION}`, `obsmon-exporter/${VERSION}`]);
  });

  test('delivers queued lines in order once connected', async () => {
    const srv = await server();
    const { s, queue, push } = sender([local(srv.port)]);
    push(50);
    await waitFor('connection', () => s.state === 'connected');
    push(50);
    await waitFor('100 lines', () => srv.lines.length === 100);
    expect(consecutive(times(srv.lines))).toBe(true);
    expect(queue.length).toBe(0);
  });

  test('keeps lines queued while no server listens and delivers them when one starts', async () => {
    const port = await freePort();
    const failures: string[] = [];
    const { queue, push } = sender([local(port)], { connectFailed: (name) => failures.push(name) });
    push(20);
    await waitFor('a few refused attempts', () => failures.length >= 2);
    expect(queue.length).toBe(20);
    const srv = await server(port);
    await waitFor('backlog', () => srv.lines.length === 20);
    expect(times(srv.lines)[0]).toBe(1_700_000_001);
    expect(consecutive(times(srv.lines))).toBe(true);
  });

  test('hands the reports a PONG confirms to the queue (which removes them from a --queue-dir), in order, and only those', async () => {
    const srv = await server();
    srv.answerPings = false;
    const settled: number[] = [];
    const { s, queue, push } = sender([local(srv.port)], {}, 10_000, 15_000, settled);
    await waitFor('connection', () => s.state === 'connected');
    push(5);
    await waitFor('5 lines', () => srv.lines.length === 5);
    expect(settled).toEqual([]);
    expect(queue.bytes).toBeGreaterThan(0); // written, held until acknowledged
    srv.answerPings = true;
    push(5);
    await waitFor('all 10 acknowledged', () => settled.length === 10);
    expect(settled).toEqual(times(srv.lines));
    expect(consecutive(settled)).toBe(true);
    expect(queue.bytes).toBe(0);
  });

  test('fails over to the next address when the first refuses', async () => {
    const refused = await freePort();
    const srv = await server();
    const connected: string[] = [];
    const { push } = sender([local(refused), local(srv.port)], { connected: (name) => connected.push(name) });
    push(5);
    await waitFor('lines at the second server', () => srv.lines.length === 5);
    expect(connected).toEqual([`127.0.0.1:${srv.port}`]);
  });

  test('reconnects after the server cuts the connection and goes on sending', async () => {
    const srv = await server();
    const { s, push } = sender([local(srv.port)]);
    push(10);
    await waitFor('first lines', () => srv.lines.length === 10);
    srv.dropConnections();
    await waitFor('a second connection', () => srv.connections === 2 && s.state === 'connected', 5000);
    push(10);
    await waitFor('lines after reconnecting', () => srv.lines.length === 20);
    expect(consecutive(times(srv.lines))).toBe(true);
  });

  test('reads ERR replies without being disturbed by them', async () => {
    const srv = await server();
    srv.onLine = (_line, socket) => socket.write('ERR bad_value\n');
    const reasons: string[] = [];
    const { s, push } = sender([local(srv.port)], { errReply: (r) => reasons.push(r) });
    push(30);
    await waitFor('all lines', () => srv.lines.length === 30);
    await waitFor('all replies', () => reasons.length === 30);
    expect(new Set(reasons)).toEqual(new Set(['bad_value']));
    expect(s.state).toBe('connected');
  });

  test('leaves lines in the queue while the socket is backed up, and sends them on drain', async () => {
    const srv = await server();
    const { s, queue, push } = sender([local(srv.port)], {}, 100_000);
    await waitFor('connection', () => s.state === 'connected');
    await waitFor('server side', () => srv.sockets.size === 1);
    const [peer] = srv.sockets;
    peer!.pause();
    // ~12 MB: more than loopback socket buffers take, so write() must return false at some point.
    push(60_000, ` pad=${'x'.repeat(190)}`);
    await waitFor('a backed-up queue', async () => {
      const before = queue.length;
      await new Promise((r) => setTimeout(r, 100));
      return before > 0 && queue.length === before;
    });
    peer!.resume();
    await waitFor('everything', () => srv.lines.length === 60_000, 20_000);
    expect(consecutive(times(srv.lines))).toBe(true);
  });

  test('stop() flushes what is queued and closes the connection', async () => {
    const srv = await server();
    const { s, queue, push } = sender([local(srv.port)]);
    await waitFor('connection', () => s.state === 'connected');
    push(25);
    await s.stop(2000);
    expect(queue.length).toBe(0);
    await waitFor('lines and close', () => srv.lines.length === 25 && srv.sockets.size === 0);
  });

  test('stop() while nothing is reachable returns promptly and stops retrying', async () => {
    const port = await freePort();
    const failures: string[] = [];
    const { s, push } = sender([local(port)], { connectFailed: (n) => failures.push(n) });
    // Retries wait on a (fake) timer: after stop() none may be left to fire.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    push(3);
    await vi.waitFor(() => expect(failures.length).toBeGreaterThanOrEqual(1), { timeout: 10_000 });
    await s.stop(2000);
    const after = failures.length;
    await vi.advanceTimersByTimeAsync(10_000);
    // A retry would have left 'stopped' at once (connect() sets 'connecting').
    expect(s.state).toBe('stopped');
    expect(vi.getTimerCount()).toBe(0);
    expect(failures.length).toBe(after);
  });

  describe('acknowledgement (PING/PONG)', () => {
    test('lines written but not acknowledged when the connection dies are sent again', async () => {
      const srv = await server();
      const settled: number[] = [];
      const { s, queue, push } = sender([local(srv.port)], {}, 10_000, 15_000, settled);
      push(3);
      await waitFor('three acknowledged lines', () => settled.length === 3);
      srv.answerPings = false;
      push(2);
      await waitFor('two more lines', () => srv.lines.length === 5);
      srv.answerPings = true;
      srv.dropConnections();
      await waitFor('the two unacknowledged lines again', () => srv.lines.length === 7);
      const ts = times(srv.lines);
      expect(ts.slice(5)).toEqual(ts.slice(3, 5));
      expect(new Set(ts).size).toBe(5);
      expect(queue.length).toBe(0);
      expect(s.state).toBe('connected');
    });

    /** On the fake ack clock (800 ms ack timeout): a sender whose first line the bridge acknowledged. */
    async function acknowledgedOnce() {
      vi.useFakeTimers(FAKE_ACK_CLOCK);
      const srv = await server();
      const settled: number[] = [];
      const { push } = sender([local(srv.port)], {}, 10_000, 800, settled);
      push(1);
      await waitFor('first line acknowledged', () => settled.length === 1);
      return { srv, settled, push };
    }

    test('a bridge that stops answering (silent link cut) is dropped after the ack timeout, and nothing is lost', async () => {
      const { srv, push } = await acknowledgedOnce();
      srv.answerPings = false;
      push(2);
      await waitFor('two more lines and their PING', () => srv.lines.length === 3 && srv.pings === 2);
      await vi.advanceTimersByTimeAsync(1000);
      await waitFor('a second connection after the timeout', () => srv.connections === 2, 5000);
      srv.answerPings = true;
      await waitFor('the two lines again', () => srv.lines.length === 5);
      expect(new Set(times(srv.lines)).size).toBe(3);
    });

    test('the acknowledgement check runs only while a PING is unanswered: a bridge that answers does not wake the agent', async () => {
      const { srv, settled, push } = await acknowledgedOnce();
      push(1);
      await waitFor('second line acknowledged', () => settled.length === 2);
      expect(vi.getTimerCount()).toBe(0);
      srv.answerPings = false;
      push(1);
      await waitFor('a third line and its PING', () => srv.lines.length === 3 && srv.pings === 3);
      expect(vi.getTimerCount()).toBe(1);
    });

    test('the check is one timer, due at the ack timeout: nothing runs between the PING and it', async () => {
      const { srv, push } = await acknowledgedOnce();
      srv.answerPings = false;
      const sentAt = Date.now();
      push(1);
      await waitFor('a second line and its PING', () => srv.lines.length === 2 && srv.pings === 2);
      // Not a poll: nothing runs between the PING and its timeout (a timer woke the agent every second).
      await vi.advanceTimersToNextTimerAsync();
      expect(Date.now() - sentAt).toBe(800);
      await waitFor('a second connection at the timeout', () => srv.connections === 2, 5000);
    });

    test('a bridge that never answers PING is not timed out; the last 30 s are re-sent after a cut', async () => {
      vi.useFakeTimers(FAKE_ACK_CLOCK);
      const srv = await server();
      srv.answerPings = false;
      const { push } = sender([local(srv.port)], {}, 10_000, 300);
      push(2);
      await waitFor('two lines', () => srv.lines.length === 2);
      await vi.advanceTimersByTimeAsync(5000);
      // Still the first connection: a line sent now arrives on it (a dropped socket would take it elsewhere).
      push(1);
      await waitFor('a third line', () => srv.lines.length === 3);
      expect(srv.connections).toBe(1);
      srv.dropConnections();
      await waitFor('the three lines again', () => srv.lines.length === 6, 5000);
    });
  });
});
