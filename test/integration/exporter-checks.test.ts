import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { parseLine } from '../../protocol/line.ts';
import { startBridgeProcess, type BridgeProcess } from '../../testkit/bridge-process.ts';
import { freePort } from '../../testkit/free-port.ts';
import { checkMetrics } from '../helpers/promtool.ts';
import { influxQl, startInfluxd, type RealServer } from '../../testkit/real-servers.ts';
import { waitFor } from '../helpers/wait-for.ts';

/**
 * The operator's checks with the real executable: `--process` (this test runs under `node`, and a name
 * nothing runs under is 0) and `--textfile-dir` (a script's values, written by rename), once on stdout
 * and then through a real bridge to /metrics (promtool-valid) and InfluxDB 1.6.
 */
const BIN = new URL('../../bin/obsmon.js', import.meta.url).pathname;
const DB = 'obsmon';
const children: ChildProcess[] = [];
let dir: string;
let influx: RealServer | undefined;
let bridge: BridgeProcess | undefined;

function run(args: string[]) {
  const child = spawn(process.execPath, [BIN, 'exporter', '--node', 'chk1', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const out = { stdout: '', stderr: '' };
  child.stdout!.on('data', (d: Buffer) => (out.stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out.stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, out, exited };
}

/** What a site script does: write a temporary file, rename it over the real one. */
function publish(name: string, text: string): void {
  writeFileSync(join(dir, `${name}.tmp`), text);
  renameSync(join(dir, `${name}.tmp`), join(dir, name));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'obsmon-textfile-'));
  publish('dome.txt', '# dome-weather.py\ndome_humidity=45.5\nccd_setpoint@cam1=-100\nDome-Temp=3\n');
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await bridge?.stop('SIGKILL');
  await influx?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('obsmon exporter --process --textfile-dir', () => {
  test('--once prints the process counts and the textfile values in one valid line, and names the skipped line', async () => {
    const { out, exited } = run(['--once', '--process', 'node,no-such-daemon', '--textfile-dir', dir]);
    expect(await exited).toBe(0);
    const line = out.stdout.trim();
    const parsed = parseLine(line);
    expect(parsed.ok, line).toBe(true);
    expect(line).toMatch(/ proc_count@node=[1-9]\d* proc_count@no-such-daemon=0 /);
    expect(line).toMatch(/ dome_humidity=45\.5 ccd_setpoint@cam1=-100$/);
    expect(out.stderr).toMatch(/Skipped dome\.txt:4 of --textfile-dir .*: bad_key/);
  });

  test('a textfile directory that does not exist is a configuration error (exit 2, one line)', async () => {
    const { out, exited } = run(['--once', '--textfile-dir', join(dir, 'missing')]);
    expect(await exited).toBe(2);
    expect(out.stderr.trim()).toMatch(/^obsmon exporter: Invalid --textfile-dir .*missing/);
  });

  test("through a real bridge (with filesystem-health and network-errors): on /metrics (promtool-valid), in InfluxDB, and the skipped line in the agent's own metrics", async () => {
    influx = await startInfluxd();
    await influxQl(influx, `CREATE DATABASE ${DB}`);
    bridge = await startBridgeProcess([
      '--influx-url',
      influx.url,
      '--influx-db',
      DB,
      '--influx-flush-interval',
      '0.5',
    ]);
    const agentMetrics = await freePort();
    run([
      '--server',
      `127.0.0.1:${bridge.ingestPort}`,
      '--interval',
      '0.5',
      '--metrics-port',
      String(agentMetrics),
      '--process',
      'node,no-such-daemon',
      '--textfile-dir',
      dir,
      '--collectors',
      'cpu,memory,filesystem,filesystem-health,network,network-errors,named-processes,textfile',
    ]);

    const metrics = await waitFor(
      'the new series on the bridge /metrics',
      async () => {
        const text = await bridge!.metricsText();
        return /^obsmon_node_named_processes\{node="chk1",process="no-such-daemon"\} 0$/m.test(text) &&
          text.includes('key="dome_humidity"')
          ? text
          : undefined;
      },
      30_000,
      200,
    );
    expect(metrics).toMatch(/^obsmon_node_named_processes\{node="chk1",process="node"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^obsmon_node_custom\{node="chk1",key="dome_humidity"\} 45\.5$/m);
    expect(metrics).toMatch(/^obsmon_node_custom\{node="chk1",key="ccd_setpoint",device="cam1"\} -100$/m);
    expect(metrics).toMatch(/^# TYPE obsmon_node_named_processes gauge$/m);
    // filesystem-health: the root filesystem of this machine is writable, and has inodes in use.
    expect(metrics).toMatch(/^obsmon_node_filesystem_readonly\{node="chk1",mount="\/"\} 0$/m);
    expect(metrics).toMatch(/^obsmon_node_inodes_usage_percent\{node="chk1",mount="\/"\} \d/m);
    // network-errors: rates over this machine's interfaces (0 on a healthy one).
    expect(metrics).toMatch(/^obsmon_node_network_receive_errors_per_second\{node="chk1"\} \d/m);
    expect(metrics).toMatch(/^obsmon_node_network_transmit_drops_per_second\{node="chk1"\} \d/m);
    const promtool = checkMetrics(metrics);
    expect(promtool.status, promtool.output).toBe(0);

    // A new value published by rename shows at the next cycle.
    publish('dome.txt', 'dome_humidity=61\n');
    await waitFor(
      "the renamed file's value",
      async () => /key="dome_humidity"\} 61$/m.test(await bridge!.metricsText()),
      30_000,
      200,
    );

    const stored = await waitFor(
      'proc_count in InfluxDB',
      async () => {
        const json = await influxQl(
          influx!,
          `SELECT last("proc_count") FROM "obsmon_process" WHERE "node" = 'chk1' GROUP BY "process"`,
          DB,
        );
        const series = json.results[0]?.series ?? [];
        return series.length === 2 ? series : undefined;
      },
      30_000,
      250,
    );
    expect(new Map(stored.map((s) => [s.tags?.['process'], s.values[0]?.[1]])).get('no-such-daemon')).toBe(0);
    const custom = await influxQl(influx, `SELECT last("dome_humidity") FROM "obsmon_node" WHERE "node" = 'chk1'`, DB);
    expect(custom.results[0]?.series?.[0]?.values[0]?.[1]).toBeGreaterThan(0);

    const own = await (await fetch(`http://127.0.0.1:${agentMetrics}/metrics`)).text();
    expect(own).toMatch(/^obsmon_exporter_textfile_skipped_total\{reason="bad_key"\} [1-9]/m);
    expect(own).toMatch(/^obsmon_exporter_textfile_skipped_total\{reason="too_large"\} 0$/m);
  });
});
