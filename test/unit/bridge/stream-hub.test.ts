import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Counter, Registry } from 'prom-client';
import { afterEach, expect, test, vi } from 'vitest';
import { EventLog } from '../../../bridge/expose/event-log.ts';
import { COALESCE_MS, StreamHub } from '../../../bridge/expose/stream-hub.ts';
import { connectTo } from '../../helpers/tcp-client.ts';
import { waitFor } from '../../helpers/wait-for.ts';

let server: Server | undefined;
let hub: StreamHub | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  vi.useRealTimers();
  for (const s of sockets.splice(0)) s.destroy();
  hub?.stop();
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r) ?? r(undefined));
});

test('a subscriber whose socket takes nothing for stallMs is dropped as stalled (its kernel buffer freed)', async () => {
  let clock = 0;
  const log = new EventLog(100, 'abcd1234');
  const dropped = new Counter({
    name: 'dropped_total',
    help: 'x',
    labelNames: ['reason'] as const,
    registers: [new Registry()],
  });
  // The heartbeat (which checks the stall deadline) on a fake interval, the deadline on `clock`: the
  // socket and the waits for it stay real.
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
  // Lag never counts here: only the stall deadline can drop it.
  hub = new StreamHub(
    log,
    { maxBufferedBytes: 2 ** 40, maxTotalBufferedBytes: 2 ** 40, heartbeatMs: 20, stallMs: 60_000, now: () => clock },
    dropped,
  );
  server = createServer((_req, res) => {
    res.writeHead(200);
    hub!.add(res, () => true, log.lastSeq + 1, 'retry: 2000\n\n');
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const socket = await connectTo((server.address() as AddressInfo).port);
  sockets.push(socket);
  socket.pause();
  socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  await waitFor('subscribed', () => hub!.size === 1);
  // Fill the kernel's buffer for the paused socket until Node holds bytes for it.
  const big = 'x'.repeat(64 * 1024);
  await waitFor(
    'the socket stops taking data',
    async () => {
      for (let i = 0; i < 16; i += 1) log.append('report', 'n1', big);
      await new Promise((r) => setImmediate(r));
      return hub!.bufferedBytes() > 0;
    },
    20_000,
    1,
  );
  const stalledAt = clock;
  clock += 59_000;
  vi.advanceTimersByTime(5 * 20); // five heartbeats, a second short of the deadline: not yet
  expect(hub.size).toBe(1);
  clock = stalledAt + 60_000;
  vi.advanceTimersByTime(20); // the next heartbeat, at the deadline
  expect(hub.size).toBe(0);
  expect((await dropped.get()).values.find((v) => v.labels.reason === 'stalled')?.value).toBe(1);
});

test('live events within COALESCE_MS of a write go out together in one write, in order, none lost', async () => {
  let clock = 1000;
  const log = new EventLog(100, 'abcd1234');
  const counter = new Counter({ name: 'c_total', help: 'x', labelNames: ['reason'] as const, registers: [] });
  hub = new StreamHub(
    log,
    {
      maxBufferedBytes: 2 ** 40,
      maxTotalBufferedBytes: 2 ** 40,
      heartbeatMs: 60_000,
      stallMs: 60_000,
      now: () => clock,
    },
    counter,
  );
  let writes = 0;
  server = createServer((_req, res) => {
    res.writeHead(200);
    const write = res.write.bind(res) as (chunk: string) => boolean;
    res.write = ((chunk: string) => ((writes += 1), write(chunk))) as typeof res.write;
    hub!.add(res, (_type, node) => node !== 'other', log.lastSeq + 1, 'retry: 2000\n\n');
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  const socket = await connectTo((server.address() as AddressInfo).port);
  sockets.push(socket);
  let received = '';
  socket.on('data', (d: Buffer) => (received += d.toString()));
  socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
  await waitFor('subscribed', () => hub!.size === 1 && writes === 1); // the prelude
  const turn = () => new Promise((r) => setImmediate(r));

  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
  clock += COALESCE_MS; // long enough after the prelude: the first event goes out at once
  log.append('report', 'n1', { k: 0 });
  await turn();
  expect(writes).toBe(2);
  for (let k = 1; k <= 20; k += 1) {
    log.append('report', k % 5 === 0 ? 'other' : 'n1', { k }); // a filtered-out event waits for nothing
    await turn();
  }
  expect(writes).toBe(2);
  vi.advanceTimersByTime(COALESCE_MS);
  expect(writes).toBe(3);
  vi.useRealTimers();

  const wanted = Array.from({ length: 21 }, (_, k) => k).filter((k) => k === 0 || k % 5 !== 0);
  await waitFor('every wanted event', () => (received.match(/event: report/g) ?? []).length === wanted.length);
  const ks = [...received.matchAll(/data: \{"k":(\d+)\}/g)].map((m) => Number(m[1]));
  expect(ks).toEqual(wanted);

  // A subscriber not written to for COALESCE_MS gets the next event at once again.
  clock += COALESCE_MS;
  log.append('report', 'n1', { k: 21 });
  await waitFor('written at once', () => writes === 4);
});
