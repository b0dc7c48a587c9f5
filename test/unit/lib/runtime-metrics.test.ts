import { Registry } from 'prom-client';
import { afterEach, expect, test } from 'vitest';
import { collectRuntimeMetrics, LAG_SAMPLE_MS } from '../../../lib/runtime-metrics.ts';

const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

function value(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? Number.NaN : Number(line.slice(name.length + 1));
}

const busy = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};

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
  const registry = new Registry();
  stops.push(collectRuntimeMetrics(registry));
  // The sample due LAG_SAMPLE_MS after start cannot fire while the loop is held for 1.5 of its periods.
  busy(LAG_SAMPLE_MS * 1.5);
  await new Promise((resolve) => setTimeout(resolve, LAG_SAMPLE_MS / 10));
  const blocked = await registry.metrics();
  expect(value(blocked, 'nodejs_eventloop_lag_max_seconds')).toBeGreaterThanOrEqual((LAG_SAMPLE_MS * 0.4) / 1000);
  // Read and reset: no sample since, so the next scrape shows none (0), not the old stall.
  const next = await registry.metrics();
  expect(value(next, 'nodejs_eventloop_lag_max_seconds')).toBe(0);
  expect(value(next, 'nodejs_eventloop_lag_p99_seconds')).toBe(0);
});
