import { closeSync, openSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { afterEach, expect, test, vi } from 'vitest';
import { collectRuntimeMetrics, countByType, LAG_SAMPLE_MS } from '../../../lib/runtime-metrics.ts';

const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
  vi.useRealTimers();
  vi.restoreAllMocks();
});

function value(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? Number.NaN : Number(line.slice(name.length + 1));
}

test("keeps prom-client's process and Node.js metric names, without the _total gauges", async () => {
  const registry = new Registry();
  stops.push(collectRuntimeMetrics(registry));
  const text = await registry.metrics();
  for (const name of [
    'process_cpu_seconds_total',
    'process_resident_memory_bytes',
    'nodejs_heap_size_used_bytes',
    'nodejs_eventloop_lag_seconds',
    ...['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99'].map((s) => `nodejs_eventloop_lag_${s}_seconds`),
  ])
    expect(text, name).toContain(`\n# TYPE ${name} `);
  expect(text).not.toMatch(/^nodejs_active_\w+_total/m);
});

test('the lag gauges are how late the sampling timer fired since the last scrape: a blocked loop shows, then a fresh window', async () => {
  // The sampling timer on a fake interval and the clock it reads in the test's hands: a held loop
  // without holding one (it cost 1.6 s of busy loop and a guess at how late the timer would fire).
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
  let now = 0;
  vi.spyOn(performance, 'now').mockImplementation(() => now);
  const registry = new Registry();
  stops.push(collectRuntimeMetrics(registry));
  // The sample due at LAG_SAMPLE_MS fires when the loop is let go, 1.5 periods late.
  now = LAG_SAMPLE_MS * 2.5;
  vi.advanceTimersByTime(LAG_SAMPLE_MS);
  const blocked = await registry.metrics();
  // The histogram keeps 2 significant figures.
  expect(value(blocked, 'nodejs_eventloop_lag_max_seconds')).toBeCloseTo((LAG_SAMPLE_MS * 1.5) / 1000, 1);
  expect(value(blocked, 'nodejs_eventloop_lag_min_seconds')).toBeCloseTo((LAG_SAMPLE_MS * 1.5) / 1000, 1);
  // Read and reset: no sample since, so the next scrape shows none (0), not the old stall.
  const next = await registry.metrics();
  expect(value(next, 'nodejs_eventloop_lag_max_seconds')).toBe(0);
  expect(value(next, 'nodejs_eventloop_lag_p99_seconds')).toBe(0);
});

test.runIf(process.platform === 'linux')(
  'process_open_fds counts the open descriptors, one more for a file opened',
  async () => {
    const registry = new Registry();
    stops.push(collectRuntimeMetrics(registry));
    // The listing holds one descriptor of its own while it reads.
    const listed = () => readdirSync('/proc/self/fd').length - 1;
    const before = value(await registry.metrics(), 'process_open_fds');
    expect(before).toBe(listed());
    const fd = openSync(import.meta.filename, 'r');
    try {
      expect(value(await registry.metrics(), 'process_open_fds')).toBe(before + 1);
    } finally {
      closeSync(fd);
    }
    expect(registry.getMetricsAsArray().filter((m) => m.name === 'process_open_fds')).toHaveLength(1);
  },
);

test('countByType counts as prom-client does: runs of one type, interleaved types, untyped items left out', () => {
  class Socket {}
  class Server {}
  const handles = [
    new Socket(),
    new Socket(),
    null,
    new Server(),
    new Socket(),
    undefined,
    Object.create(null),
    new Socket(),
  ];
  expect(countByType(handles, (h) => (h ? (h as { constructor?: unknown }).constructor : undefined))).toEqual(
    new Map([
      ['Socket', 4],
      ['Server', 1],
    ]),
  );
  // Resources are type names: equal text is one type whichever string object carries it.
  const resources = ['TCPSocketWrap', 'Timeout', ['TCP', 'SocketWrap'].join(''), 'TCPSocketWrap', '', 'Timeout'];
  expect(countByType(resources, (r) => r)).toEqual(
    new Map([
      ['TCPSocketWrap', 3],
      ['Timeout', 2],
      ['', 1],
    ]),
  );
  expect(countByType([], (r) => r)).toEqual(new Map());
});

test("nodejs_active_handles keeps prom-client's name, help and counts (listening servers)", async () => {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < 3; i += 1) {
      const server = createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      servers.push(server);
    }
    const ours = new Registry();
    stops.push(collectRuntimeMetrics(ours));
    const theirs = new Registry();
    collectDefaultMetrics({ register: theirs });
    const family = (text: string) => text.split('\n').filter((l) => l.includes('nodejs_active_handles'));
    const [a, b] = [await ours.metrics(), await theirs.metrics()];
    expect(family(a)).toEqual(family(b).filter((l) => !l.includes('_total')));
    expect(value(a, 'nodejs_active_handles{type="Server"}')).toBeGreaterThanOrEqual(3);
    expect(a).toContain('\n# TYPE nodejs_active_resources gauge\n');
    expect(value(a, 'nodejs_active_resources{type="TCPServerWrap"}')).toBeGreaterThanOrEqual(3);
  } finally {
    for (const server of servers) server.close();
  }
});
