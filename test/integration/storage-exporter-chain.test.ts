import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { loadOptions } from '../../config/load.ts';
import { startExporter, type RunningExporter } from '../../exporter/agent.ts';
import { exporterOptionSpecs } from '../../exporter/options.ts';
import { silentLogger } from '../../lib/logger.ts';
import { startBridgeProcess, type BridgeProcess } from '../../testkit/bridge-process.ts';
import { freePort } from '../../testkit/free-port.ts';
import { influxQl, startInfluxd, type RealServer } from '../../testkit/real-servers.ts';
import { sampleValue } from '../helpers/test-bridge.ts';
import { waitFor } from '../helpers/wait-for.ts';

/**
 * The whole chain with the real agent: obsmon exporter (1 report/s) -> bridge process with a disk
 * spool -> InfluxDB 1.6. The bridge is SIGKILLed mid-stream and started again: thanks to PING/PONG
 * (PONG only once stored or spooled) the exporter re-sends what the dead bridge had not secured, so
 * the database holds exactly the reports the agent produced.
 */
const DB = 'obsmon';
let influx: RealServer;
let spoolDir: string;
let bridge: BridgeProcess | undefined;
let exporter: RunningExporter | undefined;
let ports: { ingestPort: number; httpPort: number };

const bridgeArgs = () => [
  '--influx-url',
  influx.url,
  '--influx-db',
  DB,
  '--spool-dir',
  spoolDir,
  '--influx-flush-interval',
  '0.5',
];

beforeAll(async () => {
  influx = await startInfluxd();
  await influxQl(influx, `CREATE DATABASE ${DB}`);
  spoolDir = mkdtempSync(join(tmpdir(), 'obsmon-chain-spool-'));
  ports = { ingestPort: await freePort(), httpPort: await freePort() };
  bridge = await startBridgeProcess(bridgeArgs(), ports);
}, 60_000);

afterAll(async () => {
  await exporter?.stop();
  await bridge?.stop('SIGKILL');
  await influx?.dispose();
  rmSync(spoolDir, { recursive: true, force: true });
});

test('exporter -> bridge SIGKILLed and restarted -> InfluxDB: every report the agent produced, once', async () => {
  const defaults = loadOptions(exporterOptionSpecs, [], {}).values;
  const produced: number[] = [];
  exporter = await startExporter(
    { ...defaults, server: [`127.0.0.1:${ports.ingestPort}`], node: 'chain1', interval: 1 },
    silentLogger,
    {
      backoff: { initialMs: 100, maxMs: 400 },
      onReport: (r) => produced.push(r.timestamp),
    },
  );
  await waitFor(
    'reports arriving',
    async () => (sampleValue(await bridge!.metricsText(), 'obsmon_bridge_reports_accepted_total', '') ?? 0) >= 3,
    10_000,
    100,
  );
  const killedAt = Date.now() / 1000;
  await bridge!.stop('SIGKILL');
  await new Promise((r) => setTimeout(r, 2500));
  bridge = await startBridgeProcess(bridgeArgs(), ports);
  const restartedAt = Date.now() / 1000;
  await waitFor(
    'three new reports on the restarted bridge',
    async () => {
      const res = await fetch(`${bridge!.httpUrl}/api/v1/nodes/chain1`);
      return res.ok && ((await res.json()) as { lastReportTimestamp: number }).lastReportTimestamp >= restartedAt + 3;
    },
    15_000,
    200,
  );
  await exporter.stop();
  exporter = undefined;
  await waitFor(
    'everything written',
    async () => {
      const text = await bridge!.metricsText();
      return (
        sampleValue(text, 'obsmon_bridge_storage_pending_points', '') === 0 &&
        sampleValue(text, 'obsmon_bridge_spool_points', '') === 0
      );
    },
    20_000,
    200,
  );

  const json = await influxQl(influx, `SELECT "mem" FROM "obsmon_node" WHERE "node" = 'chain1'`, DB);
  const stamps = (json.results[0]?.series?.[0]?.values ?? []).map((v) => v[0] as number).sort((a, b) => a - b);
  // The series spans the kill and the restart...
  expect(stamps[0]).toBeLessThan(killedAt - 2);
  expect(stamps.at(-1)).toBeGreaterThanOrEqual(Math.floor(restartedAt) + 3);
  // ...and holds exactly what the agent produced (a cycle the agent itself skipped under load is
  // not a loss), each once.
  expect(stamps).toEqual([...new Set(produced)].sort((a, b) => a - b));
}, 90_000);
