import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { loadOptions } from '../../config/load.ts';
import { startExporter, type RunningExporter } from '../../exporter/agent.ts';
import { exporterOptionSpecs } from '../../exporter/options.ts';
import { ProcfsSource } from '../../exporter/sources/procfs.ts';
import { silentLogger } from '../../lib/logger.ts';
import { parseLine } from '../../protocol/line.ts';
import { startBridgeProcess, type BridgeProcess } from '../../testkit/bridge-process.ts';
import { freePort } from '../../testkit/free-port.ts';
import { checkMetrics } from '../helpers/promtool.ts';
import { influxQl, startInfluxd, type RealServer } from '../../testkit/real-servers.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { AGENT_NODE_FLAGS } from '../../deploy/node-flags.ts';

/**
 * The operator's checks with the real executable: `--process` (this test runs under `node`, and a name
 * nothing runs under is 0) and `--textfile-dir` (a script's values, written by rename), once on stdout
 * and then through a real bridge to /metrics (promtool-valid) and InfluxDB 1.6. Then cpu-wait,
 * cpu-cores and gpu (a fake nvidia-smi on PATH: this machine has no GPU) from the executable, and
 * temperature and clock-sync from the agent run in-process on the fixture sysfs and a /run with
 * timesyncd's file (this machine has neither sensors nor timesyncd).
 */
const BIN = new URL('../../bin/obsmon.js', import.meta.url).pathname;
const DB = 'obsmon';
const children: ChildProcess[] = [];
let dir: string;
let influx: RealServer | undefined;
let bridge: BridgeProcess | undefined;
let inProcess: RunningExporter | undefined;
const FIXTURE = fileURLToPath(new URL('../fixtures/proc/', import.meta.url));

function run(args: string[], env: NodeJS.ProcessEnv = process.env, node = 'chk1') {
  const child = spawn(process.execPath, [...AGENT_NODE_FLAGS, BIN, 'exporter', '--node', node, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
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
  await inProcess?.stop();
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

  test('cpu-wait, cpu-cores, gpu (fake nvidia-smi), temperature and clock-sync through the same bridge: /metrics (promtool-valid) and InfluxDB', async () => {
    expect(bridge, 'the bridge of the previous test').toBeDefined();
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(
      join(bin, 'nvidia-smi'),
      '#!/bin/sh\nwhile :; do echo "0, 87, 10240, 24576, 71"; echo "1, [N/A], 3, 24576, 34"; sleep 1; done\n',
    );
    chmodSync(join(bin, 'nvidia-smi'), 0o755);
    const server = ['--server', `127.0.0.1:${bridge!.ingestPort}`, '--interval', '1'];
    const gpuAgentMetrics = await freePort();
    run(
      [...server, '--metrics-port', String(gpuAgentMetrics), '--collectors', 'cpu,cpu-wait,cpu-cores,memory,gpu'],
      { ...process.env, PATH: `${bin}:${process.env['PATH'] ?? ''}` },
      'chk2',
    );
    const runRoot = join(dir, 'run');
    mkdirSync(join(runRoot, 'systemd/timesync'), { recursive: true });
    writeFileSync(join(runRoot, 'systemd/timesync/synchronized'), '');
    const syncedAt = Date.now() / 1000 - 600;
    utimesSync(join(runRoot, 'systemd/timesync/synchronized'), syncedAt, syncedAt);
    const argv = ['--node', 'chk3', ...server, '--collectors', 'memory,temperature,clock-sync'];
    inProcess = await startExporter(loadOptions(exporterOptionSpecs, argv, {}).values, silentLogger, {
      source: new ProcfsSource({ procRoot: `${FIXTURE}proc`, sysRoot: `${FIXTURE}sys`, runRoot, mounts: [] }),
    });

    const wanted = [
      /^obsmon_node_cpu_iowait_percent\{node="chk2"\} \d/m,
      /^obsmon_node_cpu_steal_percent\{node="chk2"\} \d/m,
      /^obsmon_node_cpu_core_usage_percent\{node="chk2",cpu="0"\} \d/m,
      /^obsmon_node_gpu_utilization_percent\{node="chk2",gpu="0"\} 87$/m,
      /^obsmon_node_gpu_memory_usage_percent\{node="chk2",gpu="1"\} 0$/m,
      /^obsmon_node_gpu_temperature_celsius\{node="chk2",gpu="0"\} 71$/m,
      /^obsmon_node_temperature_celsius\{node="chk3"\} 62$/m,
      /^obsmon_node_clock_sync_age_seconds\{node="chk3"\} 6\d\d$/m,
    ];
    let missing: RegExp[] = wanted;
    const metrics = await waitFor(
      'the new keys on the bridge /metrics',
      async () => {
        const text = await bridge!.metricsText();
        missing = wanted.filter((re) => !re.test(text));
        return missing.length === 0 ? text : undefined;
      },
      45_000,
      200,
    ).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}; missing ${missing.join(' ')}`, { cause: error });
    });
    // GPU 1 has no utilisation ([N/A]): it is left out, not sent as 0.
    expect(metrics).not.toMatch(/^obsmon_node_gpu_utilization_percent\{node="chk2",gpu="1"\}/m);
    const promtool = checkMetrics(metrics);
    expect(promtool.status, promtool.output).toBe(0);
    // One nvidia-smi for the agent's life, however many cycles ran.
    const own = await (await fetch(`http://127.0.0.1:${gpuAgentMetrics}/metrics`)).text();
    expect(own).toMatch(/^obsmon_exporter_nvidia_smi_starts_total 1$/m);

    const last = async (query: string) => {
      const json = await influxQl(influx!, query, DB);
      return json.results[0]?.series ?? [];
    };
    const gpus = await waitFor(
      'the GPUs in InfluxDB',
      async () => {
        const series = await last(
          `SELECT last("gpu_temp"::field) FROM "obsmon_gpu" WHERE "node"::tag = 'chk2' GROUP BY "gpu"::tag`,
        );
        return series.length === 2 ? series : undefined;
      },
      30_000,
      250,
    );
    expect(new Map(gpus.map((g) => [g.tags?.['gpu'], g.values[0]?.[1]]))).toEqual(
      new Map([
        ['0', 71],
        ['1', 34],
      ]),
    );
    const cores = await last(
      `SELECT last("cpu"::field) FROM "obsmon_cpu" WHERE "node"::tag = 'chk2' GROUP BY "cpu"::tag`,
    );
    expect(cores.length).toBeGreaterThanOrEqual(1);
    const wait = await last(`SELECT last("iowait"), last("steal") FROM "obsmon_node" WHERE "node" = 'chk2'`);
    expect(wait[0]?.values[0]?.slice(1).every((v) => typeof v === 'number')).toBe(true);
    const chk3 = await waitFor(
      'temp and clock_sync_age in InfluxDB',
      async () => {
        const series = await last(
          `SELECT last("temp"), last("clock_sync_age") FROM "obsmon_node" WHERE "node" = 'chk3'`,
        );
        return series[0]?.values[0]?.[2] !== undefined && series[0].values[0][2] !== null ? series : undefined;
      },
      30_000,
      250,
    );
    expect(chk3[0]?.values[0]?.[1]).toBe(62);
  }, 120_000);
});
