import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { checkMetrics } from '../helpers/promtool.ts';
import { startVictoriaMetrics, type RealServer } from '../../testkit/real-servers.ts';
import { sendAndClose } from '../helpers/tcp-client.ts';
import { sampleValue, startTestBridge, type TestBridge } from '../helpers/test-bridge.ts';
import { waitFor } from '../helpers/wait-for.ts';

let vm: RealServer;
let bridge: TestBridge | undefined;
const dirs: string[] = [];

beforeAll(async () => {
  vm = await startVictoriaMetrics();
});
afterAll(async () => {
  await vm?.dispose();
});
afterEach(async () => {
  await bridge?.stop();
  bridge = undefined;
  if (!vm.running) await vm.start();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

interface Exported {
  metric: Record<string, string>;
  values: number[];
  timestamps: number[];
}

/** Everything VictoriaMetrics holds for series matching `selector`, after making new data visible. */
async function exported(selector: string): Promise<Exported[]> {
  await fetch(`${vm.url}/internal/force_flush`);
  const res = await fetch(`${vm.url}/api/v1/export`, {
    method: 'POST',
    body: new URLSearchParams({ 'match[]': selector }),
  });
  const text = await res.text();
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Exported);
}

const now = () => Math.floor(Date.now() / 1000);

describe('storage through the v2 write API to VictoriaMetrics', () => {
  test("reports arrive with node and qualifier labels and the agents' timestamps", async () => {
    bridge = await startTestBridge({
      influxUrl: vm.url,
      influxOrg: 'observatory',
      influxBucket: 'obsmon',
      influxToken: 'unused',
      influxFlushInterval: 0.05,
    });
    const t = now() - 40;
    await sendAndClose(
      bridge.ingestPort,
      `v2a ${t} cpu=12.5 disk@/data=75.3 rx@eth0=1200\nv2a ${t + 10} cpu=13.5 disk@/data=75.4 rx@eth0=1300\n`,
    );
    await bridge.store.flush();
    const series = await waitFor(
      'three series',
      async () => {
        const s = await exported('{node="v2a"}');
        return s.length === 3 ? s : undefined;
      },
      15_000,
      200,
    );
    const byName = Object.fromEntries(series.map((s) => [s.metric['__name__'], s]));
    expect(byName['obsmon_node_cpu']).toMatchObject({
      metric: { node: 'v2a' },
      values: [12.5, 13.5],
      timestamps: [t * 1000, (t + 10) * 1000],
    });
    expect(byName['obsmon_mount_disk']).toMatchObject({
      metric: { node: 'v2a', mount: '/data' },
      values: [75.3, 75.4],
    });
    expect(byName['obsmon_interface_rx']).toMatchObject({
      metric: { node: 'v2a', interface: 'eth0' },
      values: [1200, 1300],
    });
  });

  test('3000 reports at once go through in one write request: batched up to --influx-batch-size, not one per report', async () => {
    bridge = await startTestBridge({
      influxUrl: vm.url,
      influxOrg: 'o',
      influxBucket: 'obsmon',
      // No flush tick while the reports come in, however slowly a loaded machine takes them: the
      // request count depends on the batching alone, not on how the ingest straddles ticks.
      influxFlushInterval: 3600,
      maxLinesPerSecond: 1_000_000,
    });
    const t = now() - 5000;
    await sendAndClose(
      bridge.ingestPort,
      Array.from({ length: 3000 }, (_, i) => `big${i % 20} ${t + i} cpu=${i % 100}\n`).join(''),
    );
    const metric = async (name: string) => sampleValue(await bridge!.metricsText(), name, '');
    await waitFor('3000 reports taken', async () => (await metric('obsmon_bridge_reports_accepted_total')) === 3000);
    // All taken, none sent: 3000 lines are less than a batch (5000), so they wait for the flush.
    expect(await metric('obsmon_bridge_storage_write_duration_seconds_count')).toBe(0);
    await bridge.store.flush();
    expect(await metric('obsmon_bridge_storage_write_duration_seconds_count')).toBe(1);
    expect(await metric('obsmon_bridge_storage_points_written_total')).toBe(3000);
    const total = await waitFor(
      '3000 samples',
      async () => {
        const n = (await exported('{__name__="obsmon_node_cpu",node=~"big.*"}')).reduce(
          (sum, s) => sum + s.values.length,
          0,
        );
        return n === 3000 ? n : undefined;
      },
      15_000,
      200,
    );
    expect(total).toBe(3000);
  });

  test('VictoriaMetrics stopped and started again: the spool keeps every point and drains, none doubled', async () => {
    const spoolDir = mkdtempSync(join(tmpdir(), 'obsmon-store-'));
    dirs.push(spoolDir);
    bridge = await startTestBridge({
      influxUrl: vm.url,
      influxOrg: 'o',
      influxBucket: 'obsmon',
      spoolDir,
      influxFlushInterval: 0.05,
      spoolFsyncInterval: 0.05,
    });
    const t = now() - 8000;
    const send = (from: number, n: number) =>
      sendAndClose(
        bridge!.ingestPort,
        Array.from({ length: n }, (_, i) => `vmo${i % 4} ${t + from + i} procs=${from + i}\n`).join(''),
      );
    await send(0, 40);
    await bridge.store.flush();
    // SIGTERM: VictoriaMetrics flushes what it acknowledged (after SIGKILL it may lose its last second, which is its own durability, not the bridge's).
    await vm.stop('SIGTERM');
    await send(40, 80);
    await waitFor(
      'the outage noticed',
      async () => sampleValue(await bridge!.metricsText(), 'obsmon_bridge_storage_up', '') === 0,
    );
    await vm.start();
    await send(120, 40);
    await waitFor('the spool to drain', () => bridge!.store.pending === 0, 15_000, 50);
    const series = await waitFor(
      '160 samples',
      async () => {
        const s = await exported('{__name__="obsmon_node_procs",node=~"vmo.*"}');
        return s.reduce((sum, x) => sum + x.values.length, 0) === 160 ? s : undefined;
      },
      15_000,
      200,
    );
    const times = series.flatMap((s) => s.timestamps).sort((a, b) => a - b);
    expect(times).toEqual(Array.from({ length: 160 }, (_, i) => (t + i) * 1000));
    const text = await bridge.metricsText();
    expect(sampleValue(text, 'obsmon_bridge_storage_write_failures_total', 'reason="unreachable"')).toBeGreaterThan(0);
    const check = checkMetrics(text);
    expect(check.status, check.output).toBe(0);
  });
});
