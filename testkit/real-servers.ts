import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port.ts';

/** A real database server on 127.0.0.1, owned by the test: stop, start again (same port and data), dispose. */
export interface RealServer {
  readonly name: string;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  readonly running: boolean;
  /** Stop by PID and wait for the exit; SIGKILL gives the server no chance to flush anything. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Start again on the same port and data directory; resolves when it answers. */
  start(): Promise<void>;
  /** Kill and remove the data directory (for afterAll). */
  dispose(): Promise<void>;
}

const READY_TIMEOUT_MS = 20_000;
const live = new Set<ChildProcess>();
// A test runner that dies must not leave databases behind.
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/** Absolute path of a binary from the Debian packages; missing is a failure, never a skip. */
export function binary(name: string, debianPackage: string): string {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
  if (found === '') throw new Error(`${name} not found: install the Debian package "${debianPackage}" (.ci/run does)`);
  return found;
}

/** InfluxDB 1.6 (Debian `influxdb`) with a throw-away config: loopback only, no monitor, no reporting. */
export async function startInfluxd(): Promise<RealServer> {
  const path = binary('influxd', 'influxdb');
  const [port, rpcPort] = [await freePort(), await freePort()];
  const dataDir = mkdtempSync(join(tmpdir(), 'obsmon-influxd-'));
  const config = join(dataDir, 'influxdb.conf');
  writeFileSync(
    config,
    [
      'reporting-disabled = true',
      `bind-address = "127.0.0.1:${rpcPort}"`,
      '[meta]',
      `  dir = "${dataDir}/meta"`,
      '[data]',
      `  dir = "${dataDir}/data"`,
      `  wal-dir = "${dataDir}/wal"`,
      '  query-log-enabled = false',
      '[monitor]',
      '  store-enabled = false',
      '[http]',
      `  bind-address = "127.0.0.1:${port}"`,
      '  log-enabled = false',
      '[continuous_queries]',
      '  enabled = false',
      '',
    ].join('\n'),
  );
  return startServer('influxd', path, ['-config', config], port, dataDir, '/ping', (status) => status === 204);
}

/** VictoriaMetrics (Debian `victoria-metrics`): accepts the InfluxDB v2 write API; de-duplicates equal timestamps. */
export async function startVictoriaMetrics(): Promise<RealServer> {
  const path = binary('victoria-metrics', 'victoria-metrics');
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'obsmon-vm-'));
  const args = [
    `-httpListenAddr=127.0.0.1:${port}`,
    `-storageDataPath=${dataDir}`,
    '-retentionPeriod=100y',
    '-loggerLevel=ERROR',
    '-dedup.minScrapeInterval=1ms',
  ];
  return startServer('victoria-metrics', path, args, port, dataDir, '/health', (status) => status === 200);
}

async function startServer(
  name: string,
  path: string,
  args: string[],
  port: number,
  dataDir: string,
  readyPath: string,
  ready: (status: number) => boolean,
): Promise<RealServer> {
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let output = '';

  const start = async () => {
    output = '';
    const proc = spawn(path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    live.add(proc);
    const keep = (d: Buffer) => (output = `${output}${d.toString()}`.slice(-4000));
    proc.stdout!.on('data', keep);
    proc.stderr!.on('data', keep);
    proc.once('exit', () => live.delete(proc));
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null)
        throw new Error(`${name} exited during start-up (${proc.exitCode ?? proc.signalCode}): ${output}`);
      const status = await fetch(`${url}${readyPath}`).then(
        (r) => r.status,
        () => 0,
      );
      if (ready(status)) return;
      if (Date.now() > deadline)
        throw new Error(`${name} did not answer ${readyPath} within ${READY_TIMEOUT_MS} ms: ${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const stop = async (signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM') => {
    const proc = child;
    child = undefined;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };

  await start();
  return {
    name,
    url,
    port,
    dataDir,
    get running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    stop,
    start,
    async dispose() {
      await stop('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Run InfluxQL on an InfluxDB 1.x server; returns the parsed JSON, throws on any error. */
export async function influxQl(server: RealServer, q: string, db?: string): Promise<InfluxQlResult> {
  const params = new URLSearchParams({ q, epoch: 's', ...(db === undefined ? {} : { db }) });
  const res = await fetch(`${server.url}/query`, { method: 'POST', body: params });
  const json = (await res.json()) as InfluxQlResult & { error?: string };
  if (!res.ok || json.error !== undefined) throw new Error(`InfluxQL ${q}: ${res.status} ${json.error ?? ''}`);
  for (const r of json.results) if (r.error !== undefined) throw new Error(`InfluxQL ${q}: ${r.error}`);
  return json;
}

export interface InfluxQlResult {
  results: Array<{
    error?: string;
    series?: Array<{ name: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] }>;
  }>;
}
