import { afterEach, describe, expect, test } from 'vitest';
import { loadOptions } from '../../config/load.ts';
import { startExporter, type ExporterHooks, type RunningExporter } from '../../exporter/agent.ts';
import { exporterOptionSpecs, type ExporterOptions } from '../../exporter/options.ts';
import { silentLogger } from '../../lib/logger.ts';
import { parseLine } from '../../protocol/line.ts';
import { freePort } from '../../testkit/free-port.ts';
import { checkMetrics } from '../helpers/promtool.ts';
import { startTestBridge } from '../helpers/test-bridge.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { FakeSource } from '../unit/exporter/fake-source.ts';
import { LineServer } from '../unit/exporter/line-server.ts';

/** 25 % busy between any two readings, so cpu has a value from the first report on. */
class TickingSource extends FakeSource {
  private ticks = 0;
  override async cpuTimes() {
    this.ticks += 100;
    return { busy: this.ticks / 4, total: this.ticks };
  }
}

const cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const stop of cleanup.splice(0).reverse()) await stop();
});

function options(argv: string[]): ExporterOptions {
  return loadOptions(exporterOptionSpecs, ['--node', 'agent1', '--interval', '0.2', ...argv], {}).values;
}

async function exporter(argv: string[], hooks: ExporterHooks = {}): Promise<RunningExporter> {
  const running = await startExporter(options(argv), silentLogger, {
    source: new TickingSource(),
    backoff: { initialMs: 20, maxMs: 100 },
    ...hooks,
  });
  cleanup.push(() => running.stop());
  return running;
}

async function lineServer(port = 0): Promise<LineServer> {
  const s = await LineServer.start(port);
  cleanup.push(() => s.stop());
  return s;
}

async function counter(running: RunningExporter, name: string, labels = ''): Promise<number> {
  const text = await running.registry.metrics();
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
  return Number(line?.split(' ')[1] ?? Number.NaN);
}

const timestamps = (lines: readonly string[]) => lines.map((l) => Number(l.split(' ')[1]));
const nonDecreasing = (ts: readonly number[]) => ts.every((t, i) => i === 0 || t >= ts[i - 1]!);
const increasing = (ts: readonly number[]) => ts.every((t, i) => i === 0 || t > ts[i - 1]!);

describe('exporter agent', () => {
  test('sends one valid report per interval, in order', async () => {
    const srv = await lineServer();
    await exporter(['--server', `127.0.0.1:${srv.port}`]);
    await waitFor('three reports', () => srv.lines.length >= 3);
    for (const line of srv.lines) {
      const parsed = parseLine(line);
      expect(parsed.ok && parsed.report.node).toBe('agent1');
    }
    // The priming pass gives even the first report cpu and rx/tx.
    expect(srv.lines[0]).toMatch(/^agent1 \d+(\.\d+)? cpu=25 mem=25 disk=40 rx=0 tx=0 load1=0.5 procs=123$/);
    // One report per boundary, even at 0.2 s: every timestamp is new (issue 14, item 4).
    expect(increasing(timestamps(srv.lines))).toBe(true);
  });

  test('queues reports while the bridge is down and replays all of them, in order and with their times', async () => {
    const port = await freePort();
    const running = await exporter(['--server', `127.0.0.1:${port}`]);
    await waitFor('a backlog', () => running.queueLength() >= 4);
    const startedAt = Date.now() / 1000;
    const srv = await lineServer(port);
    await waitFor('the backlog at the server', () => srv.lines.length >= 6);
    expect(
      timestamps(srv.lines)
        .slice(0, 4)
        .every((t) => t <= startedAt),
    ).toBe(true);
    await running.stop();
    const ts = timestamps(srv.lines);
    expect(nonDecreasing(ts)).toBe(true);
    expect(srv.lines.length).toBe(await counter(running, 'obsmon_exporter_reports_total'));
    expect(await counter(running, 'obsmon_exporter_reports_dropped_total', '{reason="overflow"}')).toBe(0);
  });

  test('fails over to the second server when the first refuses', async () => {
    const refused = await freePort();
    const srv = await lineServer();
    const running = await exporter(['--server', `127.0.0.1:${refused},127.0.0.1:${srv.port}`]);
    await waitFor('reports at the second server', () => srv.lines.length >= 2);
    expect(running.connection()).toEqual({ state: 'connected', server: `127.0.0.1:${srv.port}` });
  });

  test('reconnects after the bridge closes the connection mid-stream', async () => {
    const srv = await lineServer();
    const running = await exporter(['--server', `127.0.0.1:${srv.port}`]);
    await waitFor('first reports', () => srv.lines.length >= 2);
    srv.dropConnections();
    const before = srv.lines.length;
    await waitFor('reports on a new connection', () => srv.connections >= 2 && srv.lines.length >= before + 2);
    expect(await counter(running, 'obsmon_exporter_disconnects_total')).toBeGreaterThanOrEqual(1);
  });

  test('is not disturbed by ERR replies and counts them by reason', async () => {
    const srv = await lineServer();
    srv.onLine = (_l, socket) => socket.write('ERR bad_value\nERR something odd\n');
    const running = await exporter(['--server', `127.0.0.1:${srv.port}`]);
    await waitFor('several reports', () => srv.lines.length >= 4);
    await waitFor(
      'replies counted',
      async () => (await counter(running, 'obsmon_exporter_err_replies_total', '{reason="bad_value"}')) >= 3,
    );
    expect(await counter(running, 'obsmon_exporter_err_replies_total', '{reason="other"}')).toBeGreaterThanOrEqual(3);
    expect(running.connection().state).toBe('connected');
  });

  test('a failing collector leaves the rest of the report intact', async () => {
    const srv = await lineServer();
    const source = new TickingSource();
    source.readings.filesystems = new Error('statfs hung');
    const running = await exporter(['--server', `127.0.0.1:${srv.port}`], { source });
    await waitFor('reports', () => srv.lines.length >= 2);
    expect(srv.lines.at(-1)).toMatch(/^agent1 \d+(\.\d+)? cpu=25 mem=25 rx=0 tx=0 load1=0.5 procs=123$/);
    expect(await counter(running, 'obsmon_exporter_collector_success', '{collector="filesystem"}')).toBe(0);
    expect(await counter(running, 'obsmon_exporter_collector_success', '{collector="cpu"}')).toBe(1);
  });

  test('serves its own /metrics, which promtool accepts', async () => {
    const srv = await lineServer();
    const metricsPort = await freePort();
    await exporter(['--server', `127.0.0.1:${srv.port}`, '--metrics-port', String(metricsPort)]);
    await waitFor('a report', () => srv.lines.length >= 1);
    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).toMatch(/^obsmon_exporter_connected 1$/m);
    expect(text).toMatch(/^obsmon_exporter_queue_reports 0$/m);
    expect(text).toMatch(/^obsmon_exporter_collector_duration_seconds\{collector="cpu"\} /m);
    const check = checkMetrics(text);
    expect(check.output).toBe('');
    expect(check.status).toBe(0);
  });

  test('reports reach a real bridge and show up in its node table', async () => {
    const bridge = await startTestBridge();
    cleanup.push(() => bridge.stop());
    const running = await exporter(['--server', `127.0.0.1:${bridge.ingestPort}`]);
    const node = await waitFor('the node at the bridge', async () =>
      (await bridge.nodesJson()).nodes.find((n) => n['node'] === 'agent1'),
    );
    const keys = (node['metrics'] as Array<{ key: string }>).map((m) => m.key).sort();
    expect(keys).toEqual(['cpu', 'disk', 'load1', 'mem', 'procs', 'rx', 'tx']);
    const refusals = (await running.registry.metrics())
      .split('\n')
      .filter((l) => l.startsWith('obsmon_exporter_err_replies_total{') && !l.endsWith(' 0'));
    expect(refusals).toEqual([]);
  });
});
