import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { SseClient } from '../helpers/sse-client.ts';
import { sampleValue, startTestBridge, type TestBridge } from '../helpers/test-bridge.ts';
import { waitFor } from '../helpers/wait-for.ts';

const dir = mkdtempSync(join(tmpdir(), 'obsmon-probes-'));
const bridges: TestBridge[] = [];
const servers: Array<TcpServer | HttpServer> = [];
afterEach(async () => {
  for (const b of bridges.splice(0)) await b.stop();
  for (const s of servers.splice(0)) await close(s);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const connections = new WeakMap<TcpServer | HttpServer, Set<Socket>>();

/** Close a target and every connection it still holds (a probe's, or one a test keeps open). */
function close(server: TcpServer | HttpServer): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    for (const socket of connections.get(server) ?? []) socket.destroy();
  });
}

function listen<S extends TcpServer | HttpServer>(server: S): Promise<S & { port: number }> {
  servers.push(server);
  const open = new Set<Socket>();
  connections.set(server, open);
  server.on('connection', (socket: Socket) => {
    open.add(socket);
    socket.on('close', () => open.delete(socket));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(Object.assign(server, { port: (server.address() as AddressInfo).port })),
    ),
  );
}

/** A PLC's Modbus port: accepts connections, says nothing. */
const plc = () => listen(createTcpServer((socket) => socket.on('error', () => undefined).end()));

/** A weather station's status page, answering `status` (changeable). */
async function weatherStation() {
  const station = { status: 200 };
  const server = await listen(
    createHttpServer((_req, res) =>
      res.writeHead(station.status, { 'content-type': 'text/plain' }).end('wind 3 m/s\n'),
    ),
  );
  return Object.assign(station, { port: server.port, server });
}

function inventoryFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const up = (text: string, node: string) => sampleValue(text, 'obsmon_node_probe_up', `node="${node}"`);
const rtt = (text: string, node: string) => sampleValue(text, 'obsmon_node_probe_rtt_seconds', `node="${node}"`);
const runs = (text: string, kind: string, result: string) =>
  sampleValue(text, 'obsmon_bridge_probe_runs_total', `kind="${kind}",result="${result}"`) ?? 0;

describe('agentless devices: the bridge probes inventory entries with probe: and reports for them like an agent', () => {
  test('a TCP and an HTTP target that answer are up, with a round trip, on /metrics and in the API; stopped, they report probe_up 0', async () => {
    const dome = await plc();
    const weather = await weatherStation();
    const inventory = inventoryFile(
      'up-down.yaml',
      `nodes:\n  - { name: dome-plc, group: dome, critical: true, probe: { tcp: "127.0.0.1:${dome.port}", interval: 1, timeout: 0.5 } }\n` +
        `  - { name: weather, group: weather, probe: { http: "http://127.0.0.1:${weather.port}/status", expect_status: 200, interval: 1, timeout: 0.5 } }\n`,
    );
    // A short --down-after, so a dead device's probe_rtt goes stale within the test.
    const bridge = await startTestBridge({ inventory, downAfter: 3 });
    bridges.push(bridge);

    const text = await waitFor(
      'both probes up on /metrics',
      async () => {
        const t = await bridge.metricsText();
        return up(t, 'dome-plc') === 1 && up(t, 'weather') === 1 ? t : undefined;
      },
      20_000,
      100,
    );
    for (const node of ['dome-plc', 'weather']) {
      expect(rtt(text, node)).toBeGreaterThanOrEqual(0);
      // Within the timeout, or it would be a failed probe.
      expect(rtt(text, node)).toBeLessThanOrEqual(0.5);
      // Up as a node: the probe is its agent.
      expect(sampleValue(text, 'obsmon_node_up', `node="${node}"`)).toBe(1);
    }
    expect(text).toMatch(/^obsmon_bridge_probes 2$/m);
    expect(runs(text, 'tcp', 'up')).toBeGreaterThanOrEqual(1);
    expect(runs(text, 'http', 'up')).toBeGreaterThanOrEqual(1);
    // The levels of thresholds.yaml apply to probe_rtt as to any value.
    expect(text).toContain('obsmon_threshold{node="dome-plc",metric="probe_rtt",severity="warning"} 0.5');

    const { nodes } = await bridge.nodesJson();
    const domeView = nodes.find((n) => n['node'] === 'dome-plc')!;
    expect(domeView).toMatchObject({ group: 'dome', critical: true, inventory: true, up: true });
    const metrics = domeView['metrics'] as Array<{
      key: string;
      value: number;
      status: string;
      warning: number | null;
    }>;
    expect(metrics.find((m) => m.key === 'probe_up')).toMatchObject({ value: 1, status: 'ok' });
    expect(metrics.find((m) => m.key === 'probe_rtt')).toMatchObject({ warning: 0.5, error: 1.5 });

    // The storage path sees the same reports as an agent's (memory history without a database).
    const history = await waitFor(
      'probe_up in the history',
      async () => {
        const res = await fetch(`${bridge.httpUrl}/api/v1/nodes/dome-plc/history?metric=probe_up`);
        const body = (await res.json()) as { points?: unknown[] };
        return res.ok && (body.points?.length ?? 0) > 0 ? body : undefined;
      },
      10_000,
      100,
    );
    expect(history.points!.length).toBeGreaterThan(0);

    // The stream carries the probe's reports like an agent's.
    const stream = await SseClient.open(`${bridge.httpUrl}/api/v1/stream?types=report`);
    try {
      const event = await waitFor(
        'a dome-plc report on the stream',
        () => stream.ofType('report').find((e) => (JSON.parse(e.data) as { node: string }).node === 'dome-plc'),
        10_000,
        50,
      );
      expect(JSON.parse(event.data)).toMatchObject({
        node: 'dome-plc',
        values: { probe_up: 1, probe_rtt: expect.any(Number) },
      });
    } finally {
      stream.close();
    }

    // The PLC loses power; the weather station's web server answers 500.
    await close(dome);
    weather.status = 500;
    const down = await waitFor(
      'both probes down',
      async () => {
        const t = await bridge.metricsText();
        return up(t, 'dome-plc') === 0 && up(t, 'weather') === 0 ? t : undefined;
      },
      20_000,
      100,
    );
    expect(runs(down, 'tcp', 'down')).toBeGreaterThanOrEqual(1);
    expect(runs(down, 'http', 'down')).toBeGreaterThanOrEqual(1);
    // The expression of ObsmonNodeProbeDown (prometheus/rules/probes.yml) selects exactly these series.
    expect(sampleValue(down, 'obsmon_node_up', 'node="dome-plc"')).toBe(1);
    const again = (await bridge.nodesJson()).nodes.find((n) => n['node'] === 'weather')!;
    expect((again['metrics'] as Array<{ key: string; value: number }>).find((m) => m.key === 'probe_up')?.value).toBe(
      0,
    );

    // Still up as a node; once its last round trip is older than --down-after the node's status is stale.
    const stale = await waitFor(
      'weather stale',
      async () => (await bridge.nodesJson()).nodes.find((n) => n['node'] === 'weather' && n['status'] === 'stale'),
      20_000,
      200,
    );
    expect(stale['up']).toBe(true);

    // Back up: the next probe reports 1 again.
    weather.status = 200;
    await waitFor('weather up again', async () => up(await bridge.metricsText(), 'weather') === 1, 20_000, 100);
  });

  test('a SIGHUP-style reload starts an added probe and stops a removed one', async () => {
    const first = await plc();
    const second = await plc();
    const path = inventoryFile(
      'reload.yaml',
      `nodes:\n  - { name: switch1, probe: { tcp: "127.0.0.1:${first.port}", interval: 1, timeout: 0.5 } }\n`,
    );
    const bridge = await startTestBridge({ inventory: path });
    bridges.push(bridge);
    await waitFor('switch1 probed', async () => up(await bridge.metricsText(), 'switch1') === 1, 20_000, 100);

    writeFileSync(
      path,
      `nodes:\n  - switch1\n  - { name: dome-plc, critical: true, probe: { tcp: "127.0.0.1:${second.port}", interval: 1, timeout: 0.5 } }\n`,
    );
    const outcome = bridge.reload();
    expect(outcome.ok, outcome.errors.join('\n')).toBe(true);
    expect(outcome.summary).toContain('inventory: +1 node, -0, 1 changed');
    const text = await waitFor(
      'dome-plc probed',
      async () => {
        const t = await bridge.metricsText();
        return up(t, 'dome-plc') === 1 ? t : undefined;
      },
      20_000,
      100,
    );
    expect(text).toMatch(/^obsmon_bridge_probes 1$/m);

    // switch1 is no longer probed: its last report ages and the node goes down like a silent agent.
    const reports = bridge.table.get('switch1')!.lastReceivedAt;
    const runsBefore = runs(text, 'tcp', 'up');
    await waitFor(
      'two more runs of the remaining probe',
      async () => runs(await bridge.metricsText(), 'tcp', 'up') >= runsBefore + 2,
      20_000,
      100,
    );
    expect(bridge.table.get('switch1')!.lastReceivedAt).toBe(reports);
  });

  test('refused, a reply that is no HTTP, and silence until the timeout are all down, never a crash', async () => {
    const closed = await plc();
    const port = closed.port;
    await close(closed);
    servers.splice(servers.indexOf(closed), 1);
    const garbage = await listen(
      createTcpServer((socket) => socket.on('error', () => undefined).end('SSH-2.0-not-http\r\n\r\n')),
    );
    // Reads the request and never answers; counts the connections the prober closes.
    const held = new Set<Socket>();
    let closedByProber = 0;
    const silent = await listen(
      createTcpServer((socket) =>
        held.add(
          socket
            .on('error', () => undefined)
            .on('end', () => (closedByProber += 1))
            .resume(),
        ),
      ),
    );
    const path = inventoryFile(
      'errors.yaml',
      `nodes:\n  - { name: refused, probe: { tcp: "127.0.0.1:${port}", interval: 1, timeout: 0.5 } }\n` +
        `  - { name: garbage, probe: { http: "http://127.0.0.1:${garbage.port}/", interval: 1, timeout: 0.5 } }\n` +
        `  - { name: silent, probe: { http: "http://127.0.0.1:${silent.port}/", interval: 1, timeout: 0.5 } }\n`,
    );
    const bridge = await startTestBridge({ inventory: path });
    bridges.push(bridge);
    const text = await waitFor(
      'all three down',
      async () => {
        const t = await bridge.metricsText();
        return ['refused', 'garbage', 'silent'].every((n) => up(t, n) === 0) ? t : undefined;
      },
      20_000,
      100,
    );
    for (const node of ['refused', 'garbage', 'silent']) expect(rtt(text, node), node).toBeUndefined();
    // The timed-out request was closed, not left open.
    try {
      await waitFor('the silent server sees a connection closed', () => closedByProber > 0, 10_000, 50);
    } finally {
      for (const s of held) s.destroy();
    }
  });
});
