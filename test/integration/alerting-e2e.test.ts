import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parse, stringify } from 'yaml';
import { freePort } from '../../testkit/free-port.ts';
import { startAlertmanager, startPrometheus, type RealServer } from '../helpers/prometheus-servers.ts';
import { connectTo } from '../helpers/tcp-client.ts';
import { startTestBridge, type TestBridge } from '../helpers/test-bridge.ts';
import { waitFor } from '../helpers/wait-for.ts';

/*
 * The real chain on loopback: agents → bridge (in-process) → Prometheus (1 s scrape and evaluation,
 * the shipped rules with every `for:` rewritten to 1 s) → Alertmanager (the shipped routing with
 * group_wait/group_interval 1 s, receivers rewritten to webhooks) → a webhook server in this file.
 */
const PROMETHEUS_DIR = new URL('../../prometheus/', import.meta.url).pathname;
const THRESHOLDS = new URL('../../config/thresholds.yaml', import.meta.url).pathname;
const TOKEN = 'e2e-relay-token';

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
}
interface RuleFile {
  groups: Array<{ name: string; rules: Rule[] }>;
}
interface HookAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
}
interface HookCall {
  path: string;
  authorization: string | undefined;
  body: { receiver: string; alerts: HookAlert[] };
}
interface AmAlert {
  labels: Record<string, string>;
  status: { state: string; inhibitedBy: string[] };
}

const ruleFileNames = readdirSync(join(PROMETHEUS_DIR, 'rules')).filter((f) => f.endsWith('.yml'));
const rules = ruleFileNames.flatMap((f) =>
  (parse(readFileSync(join(PROMETHEUS_DIR, 'rules', f), 'utf8')) as RuleFile).groups.flatMap((g) => g.rules),
);

/** The shipped rules with every `for:` at 1 s, as files for Prometheus's directory. */
function rulesWithShortFor(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const name of ruleFileNames) {
    const file = parse(readFileSync(join(PROMETHEUS_DIR, 'rules', name), 'utf8')) as RuleFile;
    for (const rule of file.groups.flatMap((g) => g.rules)) if (rule.for !== undefined) rule.for = '1s';
    files[`rules/${name}`] = stringify(file);
  }
  return files;
}

/** The shipped prometheus.yml with 1 s intervals and every target on loopback; an unknown job fails the test. */
function prometheusConfig(port: number, targets: { bridge: string; deadBridge: string; alertmanager: string }): string {
  const config = parse(readFileSync(join(PROMETHEUS_DIR, 'prometheus.yml'), 'utf8')) as {
    global: Record<string, string>;
    alerting: { alertmanagers: Array<{ static_configs: Array<{ targets: string[] }> }> };
    scrape_configs: Array<{ job_name: string; static_configs?: Array<{ targets: string[] }> }>;
  };
  Object.assign(config.global, { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' });
  config.alerting.alertmanagers = [{ static_configs: [{ targets: [targets.alertmanager] }] }];
  const loopback: Record<string, string[] | 'file_sd'> = {
    'obsmon-bridge': [targets.bridge, targets.deadBridge],
    'obsmon-exporter': 'file_sd',
    prometheus: [`127.0.0.1:${port}`],
    alertmanager: [targets.alertmanager],
  };
  for (const job of config.scrape_configs) {
    const replacement = loopback[job.job_name];
    if (replacement === undefined)
      throw new Error(`prometheus.yml has a job this test does not rewrite: ${job.job_name}`);
    if (replacement !== 'file_sd') job.static_configs = [{ targets: replacement }];
  }
  return stringify(config);
}

/** The shipped alertmanager.yml, 1 s grouping, every receiver a webhook to `hookUrl/<receiver>`. */
function alertmanagerConfig(hookUrl: string, tokenFile: string): string {
  type Route = { group_wait?: string; group_interval?: string; routes?: Route[] };
  const config = parse(readFileSync(join(PROMETHEUS_DIR, 'alertmanager.yml'), 'utf8')) as {
    route: Route;
    receivers: Array<Record<string, unknown> & { name: string }>;
    inhibit_rules: Array<{ source_matchers: string[] }>;
  };
  // The dead bridge target fires ObsmonBridgeDown throughout, which would silence every node alert
  // here; that inhibition has its own test (alertmanager-inhibition.test.ts).
  config.inhibit_rules = config.inhibit_rules.filter(
    (r) => !r.source_matchers.includes('alertname="ObsmonBridgeDown"'),
  );
  const shorten = (route: Route) => {
    if (route.group_wait !== undefined || route === config.route) route.group_wait = '1s';
    if (route.group_interval !== undefined || route === config.route) route.group_interval = '1s';
    route.routes?.forEach(shorten);
  };
  shorten(config.route);
  config.receivers = config.receivers.map(({ name }) => ({
    name,
    webhook_configs: [
      {
        url: `${hookUrl}/${name}`,
        send_resolved: true,
        http_config: { authorization: { credentials_file: tokenFile } },
      },
    ],
  }));
  return stringify(config);
}

async function query(prometheus: RealServer, expr: string): Promise<Array<{ metric: Record<string, string> }>> {
  const res = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await res.json()) as {
    status: string;
    error?: string;
    data: { result: Array<{ metric: Record<string, string> }> };
  };
  if (body.status !== 'success') throw new Error(`query ${expr}: ${body.error}`);
  return body.data.result;
}

let dir: string;
let bridge: TestBridge | undefined;
let prometheus: RealServer | undefined;
let alertmanager: RealServer | undefined;
let hook: Server | undefined;
/** Stands in for InfluxDB while it is down: answers every write with 503, so the bridge spools and retries. */
let influx: Server | undefined;
/** The TCP port of an agentless device that answers its probe. */
let plc: Server | undefined;
let agentSocket: Socket | undefined;
let agentTimer: NodeJS.Timeout | undefined;
let bridgeTarget: string;
const calls: HookCall[] = [];
/** Node name → the key=value part of its next report; the timer sends one line per node every 500 ms. */
const agents = new Map<string, () => string>();

afterAll(async () => {
  clearInterval(agentTimer);
  agentSocket?.destroy();
  await Promise.allSettled([prometheus?.stop(), alertmanager?.stop(), bridge?.stop()]);
  for (const server of [hook, influx, plc])
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'obsmon-alerting-'));
  plc = createServer((_req, res) => res.end());
  await new Promise<void>((resolve) => plc!.listen(0, '127.0.0.1', resolve));
  const closedPort = await freePort();
  // Per-node levels of 1/2 for e2e-all make every threshold alert true for it; rx/tx get levels too.
  const thresholds = parse(readFileSync(THRESHOLDS, 'utf8')) as Record<string, unknown>;
  const low = { warning: 1, error: 2 };
  // Any round trip is at or above 0: both probe_rtt levels fire for the device that answers.
  thresholds['nodes'] = {
    'e2e-all': {
      ...{ cpu: low, mem: low, swap: low, temp: low, disk: low, rx: low, tx: low },
      ...{ iowait: low, steal: low, gpu_temp: low, clock_sync_age: low },
    },
    'e2e-probe-up': { probe_rtt: { warning: 0, error: 0 } },
  };
  writeFileSync(join(dir, 'thresholds.yaml'), stringify(thresholds));
  writeFileSync(
    join(dir, 'inventory.yaml'),
    stringify({
      nodes: [
        { name: 'e2e-critical', group: 'dome', critical: true },
        { name: 'e2e-idle', group: 'lab' },
        { name: 'e2e-all', group: 'lab' },
        // Agentless devices: one that answers (a real TCP listener), two whose port nobody listens on.
        {
          name: 'e2e-probe-up',
          group: 'dome',
          probe: { tcp: `127.0.0.1:${(plc.address() as { port: number }).port}`, interval: 1, timeout: 0.5 },
        },
        {
          name: 'e2e-probe-down',
          group: 'dome',
          critical: true,
          probe: { tcp: `127.0.0.1:${closedPort}`, interval: 1, timeout: 0.5 },
        },
        { name: 'e2e-probe-lab', group: 'lab', probe: { tcp: `127.0.0.1:${closedPort}`, interval: 1, timeout: 0.5 } },
      ],
    }),
  );
  writeFileSync(join(dir, 'relay-token'), TOKEN);

  influx = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(503).end('{"error":"down for the test"}'));
  });
  await new Promise<void>((resolve) => influx!.listen(0, '127.0.0.1', resolve));
  bridge = await startTestBridge({
    downAfter: 2,
    thresholds: join(dir, 'thresholds.yaml'),
    inventory: join(dir, 'inventory.yaml'),
    influxUrl: `http://127.0.0.1:${(influx.address() as { port: number }).port}`,
    influxDb: 'obsmon',
    influxFlushInterval: 0.2,
    // The smallest spool, and room for a flood of wide reports that overflows it (points lost).
    spoolMaxBytes: 1 << 20,
    spoolDir: join(dir, 'spool'),
    maxLineBytes: 65_536,
    maxSeriesPerNode: 2000,
  });
  bridgeTarget = `127.0.0.1:${bridge.httpAddress.port}`;
  // A real file-system error for the spool-failure alert: a directory where the spool's first
  // segment file goes (EISDIR on every write of it).
  mkdirSync(join(dir, 'spool', 'segment-000000000001.lp'));

  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      calls.push({
        path: req.url ?? '',
        authorization: req.headers.authorization,
        body: JSON.parse(body) as HookCall['body'],
      });
      res.end();
    });
  });
  await new Promise<void>((resolve) => hook!.listen(0, '127.0.0.1', resolve));
  const hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}`;

  alertmanager = await startAlertmanager(alertmanagerConfig(hookUrl, join(dir, 'relay-token')));
  const deadBridge = `127.0.0.1:${await freePort()}`;
  const amTarget = `127.0.0.1:${alertmanager.port}`;
  prometheus = await startPrometheus(
    (port) => prometheusConfig(port, { bridge: bridgeTarget, deadBridge, alertmanager: amTarget }),
    {
      ...rulesWithShortFor(),
      // Exporter self-metrics job: any /metrics will do to check the `node` relabelling.
      'targets/exporters.yml': stringify([
        { targets: [`127.0.0.1:${alertmanager.port}`] },
        { targets: [amTarget.replace('127.0.0.1', 'localhost')], labels: { node: 'guider' } },
      ]),
    },
  );

  let tick = 0;
  const now = () => Math.floor(Date.now() / 1000);
  agents.set('e2e-disk', () => 'cpu=5 disk=95');
  // Clock 30 s ahead (inside --future-tolerance), disk rising 1 % a report: skew and trend alerts.
  // And the checks of the optional collectors: a read-only mount, inodes nearly out, interface errors, a watched process
  // not running, disk wait and steal, a GPU's temperature, the time since the last NTP synchronisation.
  agents.set(
    'e2e-all',
    () =>
      `cpu=50 mem=50 swap=50 temp=40 disk=${Math.min(100, 10 + tick)} rx=1000 tx=1000 rx@eth0=500 inodes=95 disk_ro@/data=1 rx_errors=2 proc_count@camd=0 iowait=30 steal=12 gpu_temp@0=85 clock_sync_age=90000`,
  );
  agentSocket = await connectTo(bridge.ingestPort);
  const send = () => {
    tick += 1;
    const lines = [...agents].map(([node, values]) => `${node} ${now() + (node === 'e2e-all' ? 30 : 0)} ${values()}`);
    agentSocket!.write(`${lines.join('\n')}\nnot a report\n`);
  };
  send();
  agentTimer = setInterval(send, 500);
});

function findAlert(
  want: Record<string, string>,
  status: HookAlert['status'],
): { call: HookCall; alert: HookAlert } | undefined {
  for (const call of calls) {
    const alert = call.body.alerts.find(
      (a) => a.status === status && Object.entries(want).every(([k, v]) => a.labels[k] === v),
    );
    if (alert !== undefined) return { call, alert };
  }
  return undefined;
}

describe('alerting end to end: bridge → Prometheus → Alertmanager → webhook', () => {
  test("every expression of every rule returns series from the bridge's data, and every rule evaluates cleanly", async () => {
    await waitFor(
      'Prometheus to scrape the bridge',
      async () => (await query(prometheus!, `up{instance="${bridgeTarget}"} == 1`)).length > 0,
      20_000,
      200,
    );
    // Once Prometheus has seen the spool small, overflow it: 20 reports of 2000 mounts (one stored
    // line each, about 2 MB in all) against the 1 MiB spool, so the bridge drops the oldest points.
    const mounts = Array.from({ length: 2000 }, (_, i) => `disk@/f${String(i).padStart(4, '0')}=1`).join(' ');
    const t = Math.floor(Date.now() / 1000) - 60;
    agentSocket!.write(`${Array.from({ length: 20 }, (_, i) => `e2e-flood ${t + i} ${mounts}`).join('\n')}\n`);
    let empty: string[] = [];
    await waitFor(
      'every rule expression to return series',
      async () => {
        empty = [];
        for (const rule of rules)
          if ((await query(prometheus!, rule.expr)).length === 0) empty.push(rule.alert ?? rule.record ?? rule.expr);
        return empty.length === 0;
      },
      15_000,
      500,
    ).catch(() => undefined);
    expect(empty).toEqual([]);

    const res = (await (await fetch(`${prometheus!.url}/api/v1/rules`)).json()) as {
      data: { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }> };
    };
    const unhealthy = res.data.groups.flatMap((g) => g.rules).filter((r) => r.health !== 'ok');
    expect(unhealthy.map((r) => `${r.name}: ${r.health} ${r.lastError ?? ''}`)).toEqual([]);

    // The exporter job's relabelling: node from the host, or the node given in the targets file.
    const exporters = await query(prometheus!, 'up{job="obsmon-exporter"}');
    expect(exporters.map((s) => s.metric['node']).sort()).toEqual(['127.0.0.1', 'guider']);
  }, 45_000);

  test('a disk above its error level reaches the webhook, its recovery arrives resolved, a silent agent arrives as down', async () => {
    const disk = { alertname: 'ObsmonNodeDiskUsageHigh', node: 'e2e-disk', severity: 'error' };
    const firing = await waitFor('the disk alert at the webhook', () => findAlert(disk, 'firing'), 30_000);
    expect(firing.call.path).toBe('/ops-email');
    expect(firing.call.authorization).toBe(`Bearer ${TOKEN}`);
    expect(firing.alert.labels).toEqual({
      ...disk,
      group: 'default',
      mount: '/',
      job: 'obsmon-bridge',
      instance: bridgeTarget,
    });
    expect(firing.alert.annotations['summary']).toBe('Disk / of e2e-disk is 95.0 % full (error level: 90 %)');
    expect(firing.alert.annotations['runbook']).toContain('docs/alerting.md#obsmonnodediskusagehigh');

    // The warning level of the same disk is in Alertmanager, inhibited by the error.
    const warning = await waitFor('the inhibited warning in Alertmanager', async () => {
      const res = await fetch(
        `${alertmanager!.url}/api/v2/alerts?filter=${encodeURIComponent('node="e2e-disk"')}&filter=severity%3D%22warning%22`,
      );
      return ((await res.json()) as AmAlert[]).find((a) => a.labels['alertname'] === disk.alertname);
    });
    expect(warning.status.state).toBe('suppressed');
    expect(warning.status.inhibitedBy).toHaveLength(1);

    agents.set('e2e-disk', () => 'cpu=5 disk=10');
    const resolved = await waitFor('the resolved notification', () => findAlert(disk, 'resolved'), 15_000);
    expect(resolved.call.path).toBe('/ops-email');

    agents.delete('e2e-disk');
    const down = await waitFor(
      'ObsmonNodeDown at the webhook',
      () => findAlert({ alertname: 'ObsmonNodeDown', node: 'e2e-disk' }, 'firing'),
      20_000,
    );
    expect(down.call.path).toBe('/ops-chat');
    expect(down.alert.labels).toEqual({
      alertname: 'ObsmonNodeDown',
      node: 'e2e-disk',
      group: 'default',
      severity: 'warning',
      job: 'obsmon-bridge',
    });
    expect(down.alert.annotations['summary']).toMatch(
      /^Node e2e-disk \(group default\) is down; last report: \d+s ago$/,
    );
  }, 75_000);

  test('critical alerts page: a critical inventory node that never reported, and a bridge that cannot be scraped', async () => {
    const node = await waitFor(
      'ObsmonCriticalNodeDown at the webhook',
      () => findAlert({ alertname: 'ObsmonCriticalNodeDown', node: 'e2e-critical' }, 'firing'),
      30_000,
    );
    expect(node.call.path).toBe('/page');
    expect(node.alert.labels).toEqual({
      alertname: 'ObsmonCriticalNodeDown',
      node: 'e2e-critical',
      group: 'dome',
      severity: 'critical',
      job: 'obsmon-bridge',
    });
    expect(node.alert.annotations['summary']).toBe(
      'Critical node e2e-critical (group dome) is down; last report: none since the bridge started',
    );
    const dead = await waitFor(
      'ObsmonBridgeDown at the webhook',
      () => findAlert({ alertname: 'ObsmonBridgeDown' }, 'firing'),
      30_000,
    );
    expect(dead.call.path).toBe('/page');
    expect(dead.alert.labels['instance']).not.toBe(bridgeTarget);
    expect(findAlert({ alertname: 'ObsmonBridgeDown', instance: bridgeTarget }, 'firing')).toBeUndefined();
  }, 65_000);

  test('a critical device that does not answer its probe pages; the node itself stays up', async () => {
    const alert = await waitFor(
      'ObsmonNodeProbeDown at the webhook',
      () => findAlert({ alertname: 'ObsmonNodeProbeDown', node: 'e2e-probe-down' }, 'firing'),
      30_000,
    );
    expect(alert.call.path).toBe('/page');
    expect(alert.alert.labels).toEqual({
      alertname: 'ObsmonNodeProbeDown',
      node: 'e2e-probe-down',
      group: 'dome',
      severity: 'critical',
      job: 'obsmon-bridge',
    });
    expect(alert.alert.annotations['summary']).toBe(
      'Critical device e2e-probe-down (group dome) does not answer its probe',
    );
    expect(findAlert({ alertname: 'ObsmonCriticalNodeDown', node: 'e2e-probe-down' }, 'firing')).toBeUndefined();
    expect(findAlert({ alertname: 'ObsmonNodeProbeDown', node: 'e2e-probe-up' }, 'firing')).toBeUndefined();
  }, 45_000);

  test('Alertmanager silences the other alerts of a down node, not those of other nodes', async () => {
    const post = await fetch(`${alertmanager!.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        { labels: { alertname: 'ObsmonNodeDown', node: 'inh1', group: 'lab', severity: 'warning' } },
        {
          labels: { alertname: 'ObsmonNodeDiskFillingUp', node: 'inh1', group: 'lab', mount: '/', severity: 'warning' },
        },
        {
          labels: { alertname: 'ObsmonNodeDiskFillingUp', node: 'inh2', group: 'lab', mount: '/', severity: 'warning' },
        },
      ]),
    });
    expect(post.status).toBe(200);
    const states = await waitFor('the three alerts with their states', async () => {
      const res = await fetch(`${alertmanager!.url}/api/v2/alerts?filter=${encodeURIComponent('node=~"inh1|inh2"')}`);
      const alerts = (await res.json()) as AmAlert[];
      const byKey = new Map(alerts.map((a) => [`${a.labels['alertname']}/${a.labels['node']}`, a.status.state]));
      return byKey.size === 3 && ![...byKey.values()].includes('unprocessed') ? byKey : undefined;
    });
    expect(Object.fromEntries(states)).toEqual({
      'ObsmonNodeDown/inh1': 'active',
      'ObsmonNodeDiskFillingUp/inh1': 'suppressed',
      'ObsmonNodeDiskFillingUp/inh2': 'active',
    });
  });
});
