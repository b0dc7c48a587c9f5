import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startBridgeProcess, type BridgeProcess } from '../../testkit/bridge-process.ts';
import { freePort } from '../../testkit/free-port.ts';
import { startPrometheus, type RealServer as PrometheusServer } from '../helpers/prometheus-servers.ts';
import { influxQl, startInfluxd, type RealServer } from '../../testkit/real-servers.ts';
import { ResendingAgent } from '../helpers/resending-agent.ts';
import { sampleValue } from '../helpers/test-bridge.ts';
import { waitFor } from '../helpers/wait-for.ts';

/**
 * Two bridges behind the shipped HAProxy config (real haproxy), peers of each other, both writing
 * to one real InfluxDB. One bridge is SIGKILLed mid-stream: agents reconnect through the balancer,
 * the union view lists every node throughout, and storage ends count-exact.
 */
const DB = 'obsmon';
const AGENTS = 6;
/** Documented in docs/scaling.md: HAProxy marks a bridge down after 2 failed 1 s checks; agents retry every 100 ms here. */
const RECONNECT_BOUND_MS = 10_000;

let influx: RealServer;
let bridges: BridgeProcess[] = [];
let haproxy: ChildProcess;
let prometheus: PrometheusServer;
let lbPort: number;
const agents: ResendingAgent[] = [];

async function startHaproxy(backends: Array<{ ingestPort: number; httpPort: number }>): Promise<void> {
  lbPort = await freePort();
  const shipped = readFileSync(new URL('../../deploy/haproxy/haproxy.cfg', import.meta.url), 'utf8');
  const config = shipped
    .replace(/^\s*log stdout.*$/m, '')
    .replace('bind :7070', `bind 127.0.0.1:${lbPort}`)
    .replace('bridge1:7070 check port 7080', `127.0.0.1:${backends[0]!.ingestPort} check port ${backends[0]!.httpPort}`)
    .replace(
      'bridge2:7070 check port 7080',
      `127.0.0.1:${backends[1]!.ingestPort} check port ${backends[1]!.httpPort}`,
    );
  expect(config).not.toMatch(/bridge[12]:/);
  const path = join(mkdtempSync(join(tmpdir(), 'obsmon-haproxy-')), 'haproxy.cfg');
  writeFileSync(path, config);
  haproxy = spawn('haproxy', ['-db', '-f', path], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  haproxy.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  await waitFor(
    `haproxy listening (${log})`,
    () =>
      new Promise<boolean>((resolve) => {
        void import('node:net').then(({ connect }) => {
          const s = connect(lbPort, '127.0.0.1', () => (s.destroy(), resolve(true)));
          s.on('error', () => resolve(false));
        });
      }),
    10_000,
    100,
  );
}

/** `max by (node) (obsmon_node_up)` from Prometheus: how rules and dashboards see nodes over several bridges. */
async function nodesUpInPrometheus(): Promise<Map<string, number>> {
  const res = await fetch(
    `${prometheus.url}/api/v1/query?query=${encodeURIComponent('max by (node) (obsmon_node_up)')}`,
  );
  const body = (await res.json()) as { data: { result: Array<{ metric: { node: string }; value: [number, string] }> } };
  return new Map(body.data.result.map((r) => [r.metric.node, Number(r.value[1])]));
}

async function unionNodes(bridge: BridgeProcess): Promise<Array<{ node: string; up: boolean }>> {
  const res = await fetch(`${bridge.httpUrl}/api/v1/nodes`);
  return ((await res.json()) as { nodes: Array<{ node: string; up: boolean }> }).nodes;
}

beforeAll(async () => {
  influx = await startInfluxd();
  await influxQl(influx, `CREATE DATABASE ${DB}`);
  const ports = await Promise.all(
    [0, 1].map(async () => ({ ingestPort: await freePort(), httpPort: await freePort() })),
  );
  bridges = await Promise.all(
    ports.map((p, i) =>
      startBridgeProcess(
        [
          '--influx-url',
          influx.url,
          '--influx-db',
          DB,
          '--influx-flush-interval',
          '0.2',
          '--peers',
          `http://127.0.0.1:${ports[1 - i]!.httpPort}`,
          '--peer-interval',
          '0.5',
          '--down-after',
          '3',
        ],
        p,
      ),
    ),
  );
  await startHaproxy(ports);
  // Real Prometheus scraping both bridges, as prometheus/prometheus.yml does in a deployment.
  const targets = ports.map((p) => `'127.0.0.1:${p.httpPort}'`).join(', ');
  prometheus = await startPrometheus(
    () =>
      `global: {scrape_interval: 1s, evaluation_interval: 1s}\nscrape_configs: [{job_name: obsmon-bridge, static_configs: [{targets: [${targets}]}]}]\n`,
  );
}, 60_000);

afterAll(async () => {
  await prometheus?.stop();
  for (const a of agents) await a.stop();
  haproxy?.kill('SIGKILL');
  for (const b of bridges) await b.stop('SIGKILL');
  await influx?.dispose();
});

describe('scale-out behind HAProxy', () => {
  test('a bridge is killed: agents move to the other, the union view never loses a node, storage is count-exact', async () => {
    const first = Math.floor(Date.now() / 1000) - 3600;
    for (let i = 0; i < AGENTS; i += 1) {
      const agent = new ResendingAgent(`lb-node${i}`, lbPort, {
        firstTimestamp: first - i * 5000,
        periodMs: 100,
        resendWindowMs: 2000,
      });
      agents.push(agent);
      agent.start();
    }
    // Both bridges got agents (leastconn), and each lists all of them through its peer.
    await waitFor(
      'agents spread over both bridges',
      async () => {
        const texts = await Promise.all(bridges.map((b) => b.metricsText()));
        return texts.every((t) => (sampleValue(t, 'obsmon_bridge_connections', '') ?? 0) > 0);
      },
      10_000,
      100,
    );
    for (const b of bridges)
      await waitFor('the union view', async () => (await unionNodes(b)).length === AGENTS, 10_000, 100);

    await waitFor(
      'Prometheus sees every node up',
      async () => {
        const up = await nodesUpInPrometheus();
        return agents.every((a) => up.get(a.node) === 1);
      },
      20_000,
      250,
    );

    const [victim, survivor] = bridges as [BridgeProcess, BridgeProcess];
    await victim.stop('SIGKILL');
    const killedAt = Date.now();
    let everyNodeListedThroughout = true;
    await waitFor(
      'every node up on the surviving bridge',
      async () => {
        const union = await unionNodes(survivor);
        if (union.length !== AGENTS) everyNodeListedThroughout = false;
        const text = await survivor.metricsText();
        return agents.every((a) => sampleValue(text, 'obsmon_node_up', `node="${a.node}"`) === 1);
      },
      RECONNECT_BOUND_MS,
      100,
    );
    const reconnectMs = Date.now() - killedAt;
    expect(everyNodeListedThroughout).toBe(true);
    expect(reconnectMs).toBeLessThan(RECONNECT_BOUND_MS);
    // Prometheus: the dead bridge's series go stale, the survivor's say 1: max by (node) is 1 again
    // within the reconnect bound plus two scrape intervals.
    await waitFor(
      'Prometheus: every node up again',
      async () => {
        const up = await nodesUpInPrometheus();
        return agents.every((a) => up.get(a.node) === 1);
      },
      RECONNECT_BOUND_MS,
      250,
    );

    await new Promise((r) => setTimeout(r, 1000));
    for (const a of agents) await a.stop();
    await waitFor(
      'the survivor to write everything',
      async () => {
        const text = await survivor.metricsText();
        return (
          sampleValue(text, 'obsmon_bridge_storage_pending_points', '') === 0 &&
          sampleValue(text, 'obsmon_bridge_spool_points', '') === 0
        );
      },
      20_000,
      200,
    );

    for (const agent of agents) {
      const json = await influxQl(influx, `SELECT "procs" FROM "obsmon_node" WHERE "node" = '${agent.node}'`, DB);
      const stored = (json.results[0]?.series?.[0]?.values ?? []).map((v) => v[0] as number);
      const written = agent.sent.filter((s) => s.writtenAt !== undefined).map((s) => s.timestamp);
      expect(new Set(stored).size, agent.node).toBe(stored.length);
      expect(
        stored.filter((t) => !written.includes(t)),
        `${agent.node}: stored but never sent`,
      ).toEqual([]);
      const lost = agent.sent
        .filter((s) => s.writtenAt !== undefined && !stored.includes(s.timestamp))
        .map((s) => `${s.timestamp - agent.sent[0]!.timestamp}@${s.writtenAt! - killedAt}ms`);
      expect(lost, `${agent.node}: sent but not stored (report index @ written relative to the kill)`).toEqual([]);
    }
  }, 90_000);
});
