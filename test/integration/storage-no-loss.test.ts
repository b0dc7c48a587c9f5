import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startBridgeProcess, type BridgeProcess } from '../../testkit/bridge-process.ts';
import { LinkProxy } from '../helpers/link-proxy.ts';
import { influxQl, startInfluxd, type RealServer } from '../../testkit/real-servers.ts';
import { ResendingAgent } from '../helpers/resending-agent.ts';
import { sampleValue } from '../helpers/test-bridge.ts';
import { waitFor } from '../helpers/wait-for.ts';

const AGENTS = 4;
const PERIOD_MS = 50;
const RESEND_WINDOW_MS = 3000;
// The bridge's defaults, whose SIGKILL bounds docs/storage.md states.
const FLUSH_INTERVAL_S = 1;
const FSYNC_INTERVAL_S = 0.5;
const DB = 'obsmon';

let influx: RealServer;
let bridge: BridgeProcess;
let proxy: LinkProxy;
let spoolDir: string;
const agents: ResendingAgent[] = [];

beforeAll(async () => {
  spoolDir = mkdtempSync(join(tmpdir(), 'obsmon-noloss-'));
  influx = await startInfluxd();
  await influxQl(influx, `CREATE DATABASE ${DB}`);
  bridge = await startBridgeProcess([
    '--influx-url',
    influx.url,
    '--influx-db',
    DB,
    '--spool-dir',
    spoolDir,
    '--influx-flush-interval',
    String(FLUSH_INTERVAL_S),
    '--spool-fsync-interval',
    String(FSYNC_INTERVAL_S),
  ]);
  proxy = await LinkProxy.start(bridge.ingestPort);
  const first = Math.floor(Date.now() / 1000) - 20_000;
  for (let i = 0; i < AGENTS; i += 1)
    agents.push(
      new ResendingAgent(`agent${i}`, proxy.port, {
        firstTimestamp: first,
        periodMs: PERIOD_MS,
        resendWindowMs: RESEND_WINDOW_MS,
      }),
    );
});

afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await proxy?.close();
  await bridge?.stop('SIGKILL');
  await influx?.dispose();
  rmSync(spoolDir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function storedTimestamps(node: string, measurement = 'obsmon_node', field = 'procs'): Promise<number[]> {
  const json = await influxQl(influx, `SELECT "${field}" FROM "${measurement}" WHERE "node" = '${node}'`, DB);
  return (json.results[0]?.series?.[0]?.values ?? []).map((v) => v[0] as number);
}

async function drained(): Promise<void> {
  await waitFor(
    'the bridge to write everything it holds',
    async () => {
      const text = await bridge.metricsText();
      return (
        sampleValue(text, 'obsmon_bridge_spool_points', '') === 0 &&
        sampleValue(text, 'obsmon_bridge_storage_pending_points', '') === 0 &&
        sampleValue(text, 'obsmon_bridge_storage_up', '') === 1
      );
    },
    20_000,
    100,
  );
}

/**
 * Points written to the bridge before `at` that are not in the database, as the age they had at
 * `at` (ms). What a bridge crash lost before the agents re-send.
 */
async function missingAges(at: number): Promise<number[]> {
  const ages: number[] = [];
  for (const agent of agents) {
    const stored = new Set(await storedTimestamps(agent.node));
    for (const s of agent.sent)
      if (s.writtenAt !== undefined && s.writtenAt < at && !stored.has(s.timestamp)) ages.push(at - s.writtenAt);
  }
  return ages;
}

/** Stop the bridge with `signal` while the agents hold their reconnects; restart it; report what it lost. */
async function crashAndRestart(
  signal: 'SIGTERM' | 'SIGKILL',
  databaseBackBeforeMeasuring?: () => Promise<void>,
): Promise<{ code: number | null; lostPoints: number; oldestLostMs: number }> {
  for (const a of agents) a.hold();
  const at = Date.now();
  const code = await bridge.stop(signal);
  await bridge.start();
  await databaseBackBeforeMeasuring?.();
  await drained();
  const ages = await missingAges(at);
  for (const a of agents) a.release();
  return { code, lostPoints: ages.length, oldestLostMs: Math.max(0, ...ages) };
}

describe('no reading is lost (InfluxDB 1.6, obsmon bridge as a child process, 4 agents at 20 reports/s each)', () => {
  test('database outage, SIGKILL during the outage, SIGKILL and SIGTERM while writing, cut agent link: the database holds exactly every report', async () => {
    for (const a of agents) a.start();
    await sleep(2000);

    // The database goes away: reports pile up in the spool.
    await influx.stop('SIGKILL');
    await sleep(1500);
    const during = await bridge.metricsText();
    expect(sampleValue(during, 'obsmon_bridge_spool_points', '')).toBeGreaterThan(100);
    expect(sampleValue(during, 'obsmon_bridge_storage_up', '')).toBe(0);

    // SIGKILL while spooling: the restarted bridge finds the spool and drains it once the database is back.
    const killedSpooling = await crashAndRestart('SIGKILL', () => influx.start());
    expect(killedSpooling.oldestLostMs).toBeLessThanOrEqual(FSYNC_INTERVAL_S * 1000 + 500);
    await sleep(2000);

    // SIGKILL while writing live: at most the last flush interval is lost.
    const killedLive = await crashAndRestart('SIGKILL');
    expect(killedLive.oldestLostMs).toBeLessThanOrEqual(FLUSH_INTERVAL_S * 1000 + 500);
    await sleep(2000);

    // SIGTERM: a clean stop writes or spools everything it accepted.
    const terminated = await crashAndRestart('SIGTERM');
    expect(terminated.code).toBe(0);
    expect(terminated.lostPoints).toBe(0);
    await sleep(1000);

    // The network between agents and bridge fails for two seconds.
    await proxy.cut();
    await sleep(2000);
    await proxy.restore();
    await sleep(2000);

    await Promise.all(agents.map((a) => a.stop()));
    await drained();
    for (const agent of agents) {
      const expected = agent.timestamps();
      expect(expected.length).toBeGreaterThan(200);
      expect(await storedTimestamps(agent.node), agent.node).toEqual(expected);
      expect(await storedTimestamps(agent.node, 'obsmon_mount', 'disk'), agent.node).toEqual(expected);
    }
    const text = await bridge.metricsText();
    expect(sampleValue(text, 'obsmon_bridge_storage_points_dead_lettered_total', '')).toBe(0);
    expect(sampleValue(text, 'obsmon_bridge_storage_points_dropped_total', 'reason="spool_full"')).toBe(0);
    console.log(
      `SIGKILL while spooling lost ${killedSpooling.lostPoints} points (oldest ${killedSpooling.oldestLostMs} ms before the kill); ` +
        `SIGKILL while writing lost ${killedLive.lostPoints} (oldest ${killedLive.oldestLostMs} ms); SIGTERM lost ${terminated.lostPoints}; all re-sent by the agents`,
    );
  }, 90_000);
});
