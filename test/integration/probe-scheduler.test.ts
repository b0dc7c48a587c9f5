import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, test } from 'vitest';
import { ProbeScheduler } from '../../bridge/probes/probe-scheduler.ts';
import { createSelfMetrics } from '../../bridge/self-metrics.ts';
import type { InventoryEntry } from '../../bridge/state/inventory.ts';
import { silentLogger } from '../../lib/logger.ts';
import type { Report } from '../../protocol/line.ts';
import { waitFor } from '../helpers/wait-for.ts';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** Accepts HTTP connections and never answers: every probe of it runs to its timeout. */
async function silentHttpTarget(): Promise<number> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(
      socket
        .on('error', () => undefined)
        .on('close', () => sockets.delete(socket))
        .resume(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      }),
  );
  return (server.address() as AddressInfo).port;
}

describe('ProbeScheduler bounds', () => {
  test('at most --max-concurrent-probes run at once; a probe due again while waiting or running is skipped and counted', async () => {
    const port = await silentHttpTarget();
    const registry = new Registry();
    const metrics = createSelfMetrics(registry);
    const reports: Report[] = [];
    const scheduler = new ProbeScheduler({ submit: (r) => void reports.push(r) }, metrics, silentLogger, {
      maxConcurrent: 1,
      now: Date.now,
    });
    cleanups.push(() => scheduler.stop());
    const probe = {
      kind: 'http' as const,
      target: `http://127.0.0.1:${port}/`,
      intervalSeconds: 1,
      timeoutSeconds: 0.9,
      expectStatus: 200,
    };
    const inventory = new Map<string, InventoryEntry>([
      ['a', { name: 'a', group: 'default', critical: false, probe }],
      ['b', { name: 'b', group: 'default', critical: false, probe }],
    ]);
    scheduler.update(inventory);
    const counter = async (result: string) =>
      (await registry.getSingleMetric('obsmon_bridge_probe_runs_total')!.get()).values.find(
        (v) => v.labels['kind'] === 'http' && v.labels['result'] === result,
      )?.value ?? 0;
    expect((await registry.getSingleMetric('obsmon_bridge_probes')!.get()).values[0]?.value).toBe(2);
    // Two probes of 0.9 s each every second, one at a time: half of the runs cannot happen.
    await waitFor('a skipped run', async () => (await counter('skipped')) > 0, 20_000, 100);
    await waitFor(
      'both probed',
      async () => (await counter('down')) >= 2 && new Set(reports.map((r) => r.node)).size === 2,
      20_000,
      100,
    );
    expect(new Set(reports.map((r) => r.node))).toEqual(new Set(['a', 'b']));
    for (const r of reports) expect(r.samples).toEqual([{ key: 'probe_up', value: 0 }]);

    // Stopping aborts the one in flight: nothing is reported after stop().
    scheduler.stop();
    const after = reports.length;
    await new Promise((r) => setTimeout(r, 1200));
    expect(reports.length).toBe(after);
    expect((await registry.getSingleMetric('obsmon_bridge_probes')!.get()).values[0]?.value).toBe(0);
  });
});
