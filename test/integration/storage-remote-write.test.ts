import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { parseSeriesHead } from '../../bridge/store/sample-lines.ts';
import { LinkProxy } from '../helpers/link-proxy.ts';
import { startPrometheus } from '../helpers/prometheus-servers.ts';
import { checkMetrics } from '../helpers/promtool.ts';
import { startVictoriaMetrics } from '../../testkit/real-servers.ts';
import { sendAndClose } from '../helpers/tcp-client.ts';
import { sampleValue, startTestBridge, type TestBridge } from '../helpers/test-bridge.ts';
import { waitFor } from '../helpers/wait-for.ts';

const REPO = new URL('../../', import.meta.url).pathname;

/** The receiver settings prometheus/prometheus.yml documents (its commented `storage:` block), uncommented. */
function documentedReceiverConfig(): string {
  const shipped = readFileSync(join(REPO, 'prometheus/prometheus.yml'), 'utf8');
  const block = /^# storage:\n(?:# {3}.*\n)+/m.exec(shipped);
  if (block === null) throw new Error('prometheus/prometheus.yml lost its commented storage: block');
  return `global: {scrape_interval: 15s}\n${block[0].replace(/^# /gm, '')}`;
}

interface Receiver {
  readonly url: string;
  readonly port: number;
  /** Make what the receiver acknowledged visible to queries. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

const RECEIVERS: ReadonlyArray<readonly [string, () => Promise<Receiver>]> = [
  [
    'Prometheus 2.42 (--web.enable-remote-write-receiver, out_of_order_time_window)',
    async () => {
      const p = await startPrometheus(documentedReceiverConfig, {}, ['--web.enable-remote-write-receiver']);
      return { url: p.url, port: p.port, settle: async () => {}, close: () => p.stop() };
    },
  ],
  [
    'VictoriaMetrics (/api/v1/write)',
    async () => {
      const vm = await startVictoriaMetrics();
      return {
        url: vm.url,
        port: vm.port,
        settle: async () => void (await fetch(`${vm.url}/internal/force_flush`)),
        close: () => vm.dispose(),
      };
    },
  ],
];

type Labels = Record<string, string>;
interface Series {
  metric: Labels;
  values?: Array<[number, string]>;
  value?: [number, string];
}

/** Whole seconds, aligned to the 10 s report interval (step boundaries of the range queries). */
const alignedNow = () => Math.floor(Date.now() / 10_000) * 10;

describe.each(RECEIVERS)('remote write to %s', (_, start) => {
  let receiver: Receiver;
  let bridge: TestBridge | undefined;
  let proxy: LinkProxy | undefined;
  const dirs: string[] = [];

  beforeAll(async () => {
    receiver = await start();
  }, 60_000);
  afterAll(async () => {
    await receiver?.close();
  });
  afterEach(async () => {
    await bridge?.stop();
    bridge = undefined;
    await proxy?.close();
    proxy = undefined;
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  async function api(path: string, params: Record<string, string>): Promise<Series[]> {
    await receiver.settle();
    const res = await fetch(`${receiver.url}${path}`, {
      method: 'POST',
      body: new URLSearchParams({ ...params, nocache: '1' }),
    });
    const json = (await res.json()) as { status: string; error?: string; data: { result: Series[] } };
    if (json.status !== 'success') throw new Error(`${path} ${params['query']}: ${json.error}`);
    return json.data.result;
  }
  /** Raw samples of `selector` in (from, to]: a range selector at `to`. */
  const samples = (selector: string, from: number, to: number) =>
    api('/api/v1/query', { query: `${selector}[${to - from}s]`, time: String(to) });

  function spoolDir(): string {
    const dir = mkdtempSync(join(tmpdir(), 'obsmon-rw-'));
    dirs.push(dir);
    return dir;
  }

  test('after a 2-minute agent-to-bridge outage, a range query over the outage returns every report', async () => {
    bridge = await startTestBridge({ remoteWriteUrl: `${receiver.url}/api/v1/write`, spoolDir: spoolDir() });
    // 19 reports every 10 s; the agent cannot reach the bridge for k = 3..17 (140 s).
    const t0 = alignedNow() - 230;
    const hostile = 'a"b\\c,d}';
    const report = (k: number) =>
      `rw1 ${t0 + 10 * k} cpu=${k} disk=${40 + k} disk@/data=${50 + k} rx@eth0=${1000 + k} temp@${hostile}=${20 + k} dome=${k / 10}\n`;
    await sendAndClose(bridge.ingestPort, [0, 1, 2].map(report).join(''));
    await bridge.store.flush();
    // Back online, the agent sends a fresh report, then replays its buffer with the original
    // timestamps: older than what the receiver already has (Prometheus needs the out-of-order window).
    await sendAndClose(bridge.ingestPort, report(18));
    await bridge.store.flush();
    await sendAndClose(bridge.ingestPort, Array.from({ length: 15 }, (_, i) => report(3 + i)).join(''));
    await bridge.store.flush();

    const end = t0 + 180;
    const cpu = await waitFor(
      '19 cpu samples',
      async () => {
        const s = await samples('obsmon_node_cpu_usage_percent{node="rw1"}', t0 - 1, end);
        return s.length === 1 && s[0]!.values!.length === 19 ? s[0]! : undefined;
      },
      20_000,
      250,
    );
    expect(cpu.values).toEqual(Array.from({ length: 19 }, (_, k) => [t0 + 10 * k, String(k)]));

    // A range query with step = report interval: each 10 s step over the outage holds one report.
    // Steps sit between reports: Prometheus 2.x includes both ends of a range, VictoriaMetrics only the last.
    const perStep = await api('/api/v1/query_range', {
      query: 'count_over_time(obsmon_node_up{node="rw1"}[10s])',
      start: String(t0 + 5),
      end: String(end + 5),
      step: '10',
    });
    expect(perStep).toHaveLength(1);
    expect(perStep[0]!.values).toEqual(Array.from({ length: 19 }, (_, k) => [t0 + 5 + 10 * k, '1']));

    // Every series, with the names and labels /metrics gives the node (Prometheus adds job and
    // instance to a scrape only), each holding all 19 reports; the hostile qualifier intact.
    const remote = await samples('{node="rw1"}', t0 - 1, end);
    for (const s of remote) expect(s.values, JSON.stringify(s.metric)).toHaveLength(19);
    expect(
      remote.find((s) => s.metric['__name__'] === 'obsmon_node_sensor_temperature_celsius')?.metric['sensor'],
    ).toBe(hostile);
    const exposed = (await bridge.metricsText())
      .split('\n')
      .filter((l) => l.startsWith('obsmon_node_') && l.includes('node="rw1"'))
      .map((l) => Object.fromEntries(parseSeriesHead(l.slice(0, l.lastIndexOf(' ')))!))
      // Bridge state, not report values: the node's labels, times and maintenance window.
      .filter(
        (m) =>
          ![
            'obsmon_node_info',
            'obsmon_node_last_report_timestamp_seconds',
            'obsmon_node_clock_skew_seconds',
            'obsmon_node_maintenance',
          ].includes(m['__name__']!),
      );
    const key = (m: Labels) => JSON.stringify(Object.entries(m).sort(([a], [b]) => a.localeCompare(b)));
    expect(remote.map((s) => key(s.metric)).sort()).toEqual(exposed.map(key).sort());
    expect(exposed.length).toBe(7);

    const text = await bridge.metricsText();
    expect(sampleValue(text, 'obsmon_bridge_remote_storage_points_written_total', '')).toBe(19 * 7);
    expect(sampleValue(text, 'obsmon_bridge_remote_storage_points_dead_lettered_total', '')).toBe(0);
  });

  test('receiver unreachable, then back: the spool keeps every point and delivers it, none doubled', async () => {
    proxy = await LinkProxy.start(receiver.port);
    const dir = spoolDir();
    bridge = await startTestBridge({
      remoteWriteUrl: `http://127.0.0.1:${proxy.port}/api/v1/write`,
      spoolDir: dir,
      spoolFsyncInterval: 0.05,
    });
    const t1 = alignedNow() - 300;
    const send = (from: number, n: number) =>
      sendAndClose(
        bridge!.ingestPort,
        Array.from({ length: n }, (_, i) => `rw2 ${t1 + 10 * (from + i)} procs=${from + i}\n`).join(''),
      );
    await send(0, 5);
    await bridge.store.flush();
    await proxy.cut();
    await send(5, 10);
    await bridge.store.flush();
    await waitFor(
      'the outage noticed',
      async () => sampleValue(await bridge!.metricsText(), 'obsmon_bridge_remote_storage_up', '') === 0,
      10_000,
      50,
    );
    await send(15, 10);
    await bridge.store.flush();
    const during = await bridge.metricsText();
    // Every point of the outage waits on disk, in the output's own spool directory.
    expect(sampleValue(during, 'obsmon_bridge_remote_spool_points', '')).toBe(40);
    expect(readdirSync(join(dir, 'remote-write')).some((f) => f.startsWith('segment-'))).toBe(true);
    await proxy.restore();
    await waitFor('the spool to drain', () => bridge!.store.pending === 0, 30_000, 100);

    const end = t1 + 240;
    const procs = await waitFor(
      '25 samples',
      async () => {
        const s = await samples('obsmon_node_processes{node="rw2"}', t1 - 1, end);
        return s.length === 1 && s[0]!.values!.length === 25 ? s[0]! : undefined;
      },
      20_000,
      250,
    );
    expect(procs.values).toEqual(Array.from({ length: 25 }, (_, k) => [t1 + 10 * k, String(k)]));
    const text = await bridge.metricsText();
    expect(
      sampleValue(text, 'obsmon_bridge_remote_storage_write_failures_total', 'reason="unreachable"'),
    ).toBeGreaterThan(0);
    expect(sampleValue(text, 'obsmon_bridge_remote_storage_up', '')).toBe(1);
    expect(sampleValue(text, 'obsmon_bridge_remote_spool_points', '')).toBe(0);
    const check = checkMetrics(text);
    expect(check.status, check.output).toBe(0);
  });

  test('the bridge restarted while the receiver is away: the disk spool comes back and drains', async () => {
    proxy = await LinkProxy.start(receiver.port);
    await proxy.cut();
    const options = {
      remoteWriteUrl: `http://127.0.0.1:${proxy.port}/api/v1/write`,
      spoolDir: spoolDir(),
      spoolFsyncInterval: 0.05,
    };
    bridge = await startTestBridge(options);
    const t2 = alignedNow() - 200;
    await sendAndClose(
      bridge.ingestPort,
      Array.from({ length: 10 }, (_, k) => `rw4 ${t2 + 10 * k} load1=${k}\n`).join(''),
    );
    await bridge.store.flush();
    expect(bridge.store.pending).toBe(20);
    await bridge.stop();
    bridge = undefined;
    await proxy.restore();
    bridge = await startTestBridge(options);
    await waitFor('the spool to drain', () => bridge!.store.pending === 0, 30_000, 100);
    const load = await waitFor(
      '10 samples',
      async () => {
        const s = await samples('obsmon_node_load1{node="rw4"}', t2 - 1, t2 + 90);
        return s.length === 1 && s[0]!.values!.length === 10 ? s[0]! : undefined;
      },
      20_000,
      250,
    );
    expect(load.values).toEqual(Array.from({ length: 10 }, (_, k) => [t2 + 10 * k, String(k)]));
  });
});

describe('remote write to Prometheus: a sample older than the out-of-order window', () => {
  let receiver: Receiver;
  let bridge: TestBridge | undefined;
  let dir: string;

  beforeAll(async () => {
    receiver = await RECEIVERS[0]![1]();
    dir = mkdtempSync(join(tmpdir(), 'obsmon-rw-'));
  }, 60_000);
  afterAll(async () => {
    await bridge?.stop();
    await receiver?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('is set aside in the dead letter and counted; the reports after it are delivered, not held up', async () => {
    // Prometheus 2.42 answers 500 "too old sample" for it: retried like an outage, it would block the spool for good.
    bridge = await startTestBridge({
      remoteWriteUrl: `${receiver.url}/api/v1/write`,
      spoolDir: dir,
      backfillWindow: 3 * 86_400,
    });
    const now = alignedNow();
    await sendAndClose(bridge.ingestPort, `rw3 ${now - 60} cpu=1\n`);
    await bridge.store.flush();
    await sendAndClose(bridge.ingestPort, `rw3 ${now - 2 * 86_400} cpu=2\nrw3 ${now - 50} cpu=3\n`);
    await bridge.store.flush();
    await waitFor('the batch settled', () => bridge!.store.pending === 0, 30_000, 100);
    const res = await fetch(
      `${receiver.url}/api/v1/query?${new URLSearchParams({ query: 'obsmon_node_cpu_usage_percent{node="rw3"}[3d]', time: String(now) })}`,
    );
    const values = ((await res.json()) as { data: { result: Series[] } }).data.result[0]?.values;
    expect(values).toEqual([
      [now - 60, '1'],
      [now - 50, '3'],
    ]);
    const text = await bridge.metricsText();
    // obsmon_node_up and cpu of the old report.
    expect(sampleValue(text, 'obsmon_bridge_remote_storage_points_dead_lettered_total', '')).toBe(2);
    const deadLetter = join(dir, 'remote-write', 'dead-letter.lp');
    expect(existsSync(deadLetter)).toBe(true);
    expect(readFileSync(deadLetter, 'utf8')).toContain(
      `obsmon_node_cpu_usage_percent{node="rw3"} 2 ${now - 2 * 86_400}`,
    );
  });
});

describe('InfluxDB and remote write together (VictoriaMetrics takes both APIs)', () => {
  let vm: Receiver;
  let bridge: TestBridge | undefined;
  let dir: string;

  beforeAll(async () => {
    vm = await RECEIVERS[1]![1]();
    dir = mkdtempSync(join(tmpdir(), 'obsmon-rw-'));
  }, 60_000);
  afterAll(async () => {
    await bridge?.stop();
    await vm?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('every report reaches both, each output with its own spool directory and metrics; the start-up line names both', async () => {
    bridge = await startTestBridge({
      influxUrl: vm.url,
      influxOrg: 'o',
      influxBucket: 'obsmon',
      remoteWriteUrl: `${vm.url}/api/v1/write`,
      spoolDir: dir,
      influxFlushInterval: 0.05,
    });
    expect(bridge.store.summary).toEqual({
      level: 'info',
      text: expect.stringMatching(
        new RegExp(
          `^Storing every report in InfluxDB v2 API .*spool: directory "${dir}".*; Sending every report to Prometheus remote write ${vm.url}/api/v1/write; spool: directory "${join(dir, 'remote-write')}"`,
        ),
      ),
    });
    const t = alignedNow() - 100;
    await sendAndClose(bridge.ingestPort, [0, 1, 2].map((k) => `rwb ${t + 10 * k} cpu=${k}\n`).join(''));
    // What PONG waits for: both outputs took the reports (or spooled them).
    await bridge.store.durable();
    const exported = async (name: string) => {
      await vm.settle();
      const res = await fetch(`${vm.url}/api/v1/export`, {
        method: 'POST',
        body: new URLSearchParams({ 'match[]': `${name}{node="rwb"}` }),
      });
      return (await res.text())
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { timestamps: number[] });
    };
    for (const name of ['obsmon_node_cpu', 'obsmon_node_cpu_usage_percent']) {
      const series = await waitFor(
        `3 samples of ${name}`,
        async () => {
          const s = await exported(name);
          return s.length === 1 && s[0]!.timestamps.length === 3 ? s : undefined;
        },
        20_000,
        250,
      );
      expect(series[0]!.timestamps).toEqual([t, t + 10, t + 20].map((s) => s * 1000));
    }
    const text = await bridge.metricsText();
    expect(sampleValue(text, 'obsmon_bridge_storage_points_written_total', '')).toBe(3);
    // obsmon_node_up and cpu per report.
    expect(sampleValue(text, 'obsmon_bridge_remote_storage_points_written_total', '')).toBe(6);
    expect(existsSync(join(dir, 'spool.lock')) && existsSync(join(dir, 'remote-write', 'spool.lock'))).toBe(true);
    const check = checkMetrics(text);
    expect(check.status, check.output).toBe(0);
  });
});
