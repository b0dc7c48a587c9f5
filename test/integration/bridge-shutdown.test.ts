import { spawn } from 'node:child_process';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startBridgeProcess, type BridgeProcess } from '../../testkit/bridge-process.ts';
import { influxQl, startInfluxd, type RealServer } from '../../testkit/real-servers.ts';
import { sampleValue } from '../helpers/test-bridge.ts';
import { waitFor } from '../helpers/wait-for.ts';

/**
 * docs/storage.md: a plain agent loses nothing to a bridge SIGTERM and restart. The docs' Python
 * agent (examples/agents/agent.py: one connection, write, on error retry once on a fresh one,
 * never reads) against a real `obsmon bridge` process storing to real InfluxDB 1.6; the bridge is
 * SIGTERMed right after a report arrived and restarted on the same ports.
 */
const AGENT = new URL('../../examples/agents/agent.py', import.meta.url).pathname;
const DB = 'obsmon';
const NODE = 'pyagent01';
const REPORTS = 5;
// Longer than a bridge restart on a busy CI machine: the agent's next write finds the new bridge.
const INTERVAL_S = 15;

let influx: RealServer;
let bridge: BridgeProcess;

beforeAll(async () => {
  influx = await startInfluxd();
  await influxQl(influx, `CREATE DATABASE ${DB}`);
  bridge = await startBridgeProcess(['--influx-url', influx.url, '--influx-db', DB, '--influx-flush-interval', '0.2']);
});

afterAll(async () => {
  await bridge?.stop('SIGKILL');
  await influx?.dispose();
});

const accepted = async () => sampleValue(await bridge.metricsText(), 'obsmon_bridge_reports_accepted_total', '') ?? 0;

async function stored(): Promise<number> {
  const json = await influxQl(influx, `SELECT count("load1") FROM "obsmon_node" WHERE "node" = '${NODE}'`, DB);
  return Number(json.results[0]?.series?.[0]?.values[0]?.[1] ?? 0);
}

test('the Python example agent loses no report over two bridge SIGTERMs', async () => {
  const agent = spawn('python3', [AGENT], {
    env: {
      ...process.env,
      OBSMON_HOST: '127.0.0.1',
      OBSMON_PORT: String(bridge.ingestPort),
      OBSMON_INTERVAL: String(INTERVAL_S),
      OBSMON_COUNT: String(REPORTS),
      OBSMON_NODE: NODE,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let agentErrors = '';
  agent.stderr!.on('data', (d: Buffer) => (agentErrors += d.toString()));
  const exited = new Promise<number | null>((resolve) => agent.once('exit', (code) => resolve(code)));
  try {
    // Report 1 reaches bridge 1; SIGTERM; reports 2 and 3 reach bridge 2; SIGTERM; 4 and 5 bridge 3.
    for (const reports of [1, 2]) {
      await waitFor(
        `report ${reports} at this bridge`,
        async () => (await accepted()) >= reports,
        INTERVAL_S * 3000,
        50,
      );
      expect(await bridge.stop('SIGTERM')).toBe(0);
      await bridge.start();
    }
    expect(await exited).toBe(0);
    // A failed send (the restarted bridge not up within the interval) shows here, not as a bare count.
    expect(agentErrors).toBe('');
    await waitFor(`${REPORTS} reports in InfluxDB`, async () => (await stored()) >= REPORTS, 20_000, 200).catch(
      (error: Error) => {
        throw new Error(`${error.message}; bridge log:\n${bridge.log.slice(-3000)}`);
      },
    );
    expect(await stored()).toBe(REPORTS);
    expect(agentErrors).toBe('');
  } finally {
    agent.kill('SIGKILL');
  }
}, 240_000);
