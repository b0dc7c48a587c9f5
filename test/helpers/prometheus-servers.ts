import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { freePort } from '../../testkit/free-port.ts';

/** A real server process on 127.0.0.1 with its own temp directory (config, data, log). */
export interface RealServer {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** The process's stdout and stderr so far, for failure messages. */
  log(): string;
  /** SIGTERM, then SIGKILL after 5 s; removes the temp directory. Safe to call twice. */
  stop(): Promise<void>;
}

/** Files to write into the server's temp directory (relative path → content) before it starts. */
export type ServerFiles = Readonly<Record<string, string>>;

/**
 * Path of a real binary from Debian, or a thrown error naming the package: a missing server fails
 * the test, never skips it.
 */
export function realBinary(name: string, debianPackage: string): string {
  for (const dir of ['/usr/bin', '/usr/local/bin', '/usr/sbin']) {
    if (existsSync(join(dir, name))) return join(dir, name);
  }
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
  if (found !== '') return found;
  throw new Error(`${name} not found: install the Debian package "${debianPackage}" (.ci/run does)`);
}

/**
 * Real Prometheus. `config` gets the chosen port (for a self-scrape or a file_sd target) and returns
 * prometheus.yml; `files` (rules, target files) land next to it, so relative paths in it resolve;
 * `flags` are added to the command line (e.g. `--web.enable-remote-write-receiver`).
 */
export function startPrometheus(
  config: (port: number) => string,
  files: ServerFiles = {},
  flags: readonly string[] = [],
): Promise<RealServer> {
  return startServer('prometheus', realBinary('prometheus', 'prometheus'), files, (dir, port) => {
    writeFileSync(join(dir, 'prometheus.yml'), config(port));
    return [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      ...flags,
    ];
  });
}

/** Real Alertmanager (0.25; the Debian binary is `prometheus-alertmanager`), clustering off. */
export function startAlertmanager(config: string, files: ServerFiles = {}): Promise<RealServer> {
  return startServer(
    'alertmanager',
    realBinary('prometheus-alertmanager', 'prometheus-alertmanager'),
    files,
    (dir, port) => {
      writeFileSync(join(dir, 'alertmanager.yml'), config);
      return [
        `--config.file=${join(dir, 'alertmanager.yml')}`,
        `--storage.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        // Without this it binds :9094 on all interfaces and gossips.
        '--cluster.listen-address=',
      ];
    },
  );
}

/**
 * The shipped prometheus/alertmanager.yml in a real Alertmanager, routing and inhibit rules as they
 * are; only the receivers point at a closed loopback port (nothing is delivered, states are read).
 */
export function startShippedAlertmanager(): Promise<RealServer> {
  const config = parse(readFileSync(new URL('../../prometheus/alertmanager.yml', import.meta.url), 'utf8')) as {
    global: Record<string, unknown>;
    receivers: Array<{ name: string }>;
  };
  config.receivers = config.receivers.map(({ name }) => ({
    name,
    webhook_configs: [{ url: 'http://127.0.0.1:9/hook' }],
  }));
  config.global = { resolve_timeout: config.global['resolve_timeout'] };
  return startAlertmanager(stringify(config));
}

const READY_TIMEOUT_MS = 15_000;
const PORT_ATTEMPTS = 3;

async function startServer(
  name: string,
  binary: string,
  files: ServerFiles,
  args: (dir: string, port: number) => string[],
): Promise<RealServer> {
  const dir = mkdtempSync(join(tmpdir(), `obsmon-${name}-`));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  // freePort() releases the port before the server binds it, so another process may take it first:
  // retry with a new port when the server exits early.
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < PORT_ATTEMPTS; attempt += 1) {
    const port = await freePort();
    const logPath = join(dir, `${name}-${attempt}.log`);
    const fd = openSync(logPath, 'w');
    const child = spawn(binary, args(dir, port), { cwd: dir, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    const log = () => (existsSync(logPath) ? readFileSync(logPath, 'utf8') : '');
    const server: RealServer = { url: `http://127.0.0.1:${port}`, port, dir, log, stop: () => stopProcess(child, dir) };
    try {
      await pollReady(child, `${server.url}/-/ready`);
      return server;
    } catch (error) {
      await stopProcess(child, undefined);
      lastError = new Error(
        `${name} did not become ready on port ${port}: ${(error as Error).message}\n${log().slice(-2000)}`,
      );
      if (!/address already in use/i.test(log())) break;
    }
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastError ?? new Error(`${name} did not start`);
}

/** Poll every 50 ms, bounded by READY_TIMEOUT_MS; fail at once if the process exits. */
async function pollReady(child: ChildProcess, url: string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`exited early (${child.exitCode ?? child.signalCode})`);
    const ok = await fetch(url, { signal: AbortSignal.timeout(1000) }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no 2xx from ${url} within ${READY_TIMEOUT_MS} ms`);
}

async function stopProcess(child: ChildProcess, dir: string | undefined): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
}
