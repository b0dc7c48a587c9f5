import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { startBridgeProcess, type BridgeProcess } from '../../testkit/bridge-process.ts';
import { influxQl, startInfluxd, type RealServer } from '../../testkit/real-servers.ts';
import { sendAndClose } from '../helpers/tcp-client.ts';
import { sampleValue, startTestBridge, type TestBridge } from '../helpers/test-bridge.ts';
import { waitFor } from '../helpers/wait-for.ts';

let influx: RealServer;
let bridge: TestBridge | undefined;
let child: BridgeProcess | undefined;

beforeAll(async () => {
  influx = await startInfluxd();
  await influxQl(influx, 'CREATE DATABASE mem');
});
afterAll(async () => {
  await influx?.dispose();
});
afterEach(async () => {
  await bridge?.stop();
  bridge = undefined;
  await child?.stop('SIGKILL');
  child = undefined;
  if (!influx.running) await influx.start();
});

const now = () => Math.floor(Date.now() / 1000);

async function history(
  url: string,
  node: string,
  query: string,
): Promise<{ source: string; points: Array<[number, number]> }> {
  const res = await fetch(`${url}/api/v1/nodes/${node}/history?${query}`);
  expect(res.status).toBe(200);
  return (await res.json()) as { source: string; points: Array<[number, number]> };
}

describe('without a database, or without a spool directory', () => {
  test('no database: history comes from the bounded memory, and start-up says nothing is persisted', async () => {
    child = await startBridgeProcess(['--history-points', '100']);
    expect(child.log).toMatch(
      /info bridge: No database configured: nothing is persisted; the last 100 points per series are kept in memory/,
    );
    const t = now() - 500;
    await sendAndClose(
      child.ingestPort,
      Array.from({ length: 150 }, (_, i) => `mem1 ${t + i} cpu=${i % 100} disk@/data=${i % 100}\n`).join(''),
    );
    const cpu = await history(child.httpUrl, 'mem1', `metric=cpu&from=${t}&to=${t + 1000}`);
    expect(cpu.source).toBe('memory');
    expect(cpu.points).toHaveLength(100);
    expect(cpu.points[0]).toEqual([t + 50, 50]);
    const disk = await history(child.httpUrl, 'mem1', `metric=disk%40%2Fdata&from=${t + 140}&to=${t + 141}`);
    expect(disk.points).toEqual([
      [t + 140, 40],
      [t + 141, 41],
    ]);
    const text = await child.metricsText();
    expect(text).not.toContain('obsmon_bridge_storage_');
    // What the history holds, and what it may grow to: the default --history-max-points at 12 bytes a point.
    expect(sampleValue(text, 'obsmon_bridge_history_bytes', '')).toBeGreaterThanOrEqual(200 * 12);
    const max = sampleValue(text, 'obsmon_bridge_history_max_bytes', '')!;
    expect(max).toBeGreaterThanOrEqual(2_000_000 * 12);
    expect(max).toBeLessThan(2_000_000 * 13);
  });

  test('a database without --spool-dir is announced loudly; points wait in memory through an outage', async () => {
    child = await startBridgeProcess([
      '--influx-url',
      influx.url,
      '--influx-db',
      'mem',
      '--influx-flush-interval',
      '0.1',
    ]);
    expect(child.log).toMatch(
      /warn bridge: Storing every report in InfluxDB 1.x .*No --spool-dir: points the database has not taken wait in memory \(at most 67108864 bytes\) and are lost if the bridge stops/,
    );
    await influx.stop('SIGKILL');
    const t = now() - 900;
    await sendAndClose(child.ingestPort, Array.from({ length: 50 }, (_, i) => `mem2 ${t + i} cpu=${i}\n`).join(''));
    await waitFor(
      '50 points in the memory spool',
      async () => sampleValue(await child!.metricsText(), 'obsmon_bridge_spool_points', '') === 50,
    );
    // While the database is away, history is answered from memory.
    expect((await history(child.httpUrl, 'mem2', `metric=cpu&from=${t}&to=${t + 100}`)).source).toBe('memory');
    await influx.start();
    await waitFor(
      'the memory spool to drain',
      async () => sampleValue(await child!.metricsText(), 'obsmon_bridge_spool_points', '') === 0,
      15_000,
      100,
    );
    const back = await history(child.httpUrl, 'mem2', `metric=cpu&from=${t}&to=${t + 100}`);
    expect(back.source).toBe('influxdb');
    expect(back.points).toHaveLength(50);
  });

  test('stopping with the database away and no spool directory counts the loss', async () => {
    bridge = await startTestBridge({ influxUrl: influx.url, influxDb: 'mem', influxFlushInterval: 0.05 });
    await influx.stop('SIGKILL');
    await sendAndClose(
      bridge.ingestPort,
      Array.from({ length: 20 }, (_, i) => `mem3 ${now() - 50 + i} cpu=1\n`).join(''),
    );
    await waitFor(
      'the outage noticed',
      async () => sampleValue(await bridge!.metricsText(), 'obsmon_bridge_storage_up', '') === 0,
    );
    await bridge.stop();
    const text = await bridge.registry.metrics();
    bridge = undefined;
    expect(sampleValue(text, 'obsmon_bridge_storage_points_dropped_total', 'reason="shutdown"')).toBe(20);
  });
});
