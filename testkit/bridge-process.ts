import { spawn, type ChildProcess } from 'node:child_process';
import { NODE_FLAGS } from '../deploy/node-flags.ts';
import { freePort } from './free-port.ts';

const BIN = new URL('../bin/obsmon.js', import.meta.url).pathname;
// Generous: on a loaded machine tsx alone takes seconds; a bridge that fails exits, and that ends the wait at once.
const READY_TIMEOUT_MS = 60_000;
/** A stop that the bridge ignores turns into a SIGKILL after this long. */
const KILL_AFTER_MS = 15_000;

export interface BridgeProcessOptions {
  /** Flags for node itself after obsmon's own (deploy/node-flags.ts), e.g. `--max-old-space-size=160` to prove a memory bound. */
  readonly nodeFlags?: readonly string[];
  /** Ports to listen on (a bridge restarted on its old ports); free ones by default. */
  readonly ingestPort?: number;
  readonly httpPort?: number;
  /** Called with each child spawned (the bench keeps a list, so that none outlives its run). */
  readonly onSpawn?: (child: ChildProcess) => void;
}

/** `obsmon bridge` as a child process on loopback, exactly as an operator starts it (with obsmon's node flags), plus its flags. */
export interface BridgeProcess {
  readonly ingestPort: number;
  readonly httpPort: number;
  readonly httpUrl: string;
  /** The process running now (a new one after each start()). */
  readonly child: ChildProcess;
  readonly pid: number;
  /** Everything it wrote to stderr, across restarts. */
  readonly log: string;
  /** Start it again (after stop()) on the same ports; resolves when /healthz answers. */
  start(): Promise<void>;
  /** Signal it (default SIGTERM) and wait for the exit; resolves with the exit code (null after a signal it did not handle). */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<number | null>;
  metricsText(): Promise<string>;
}

/** Start the bridge with `args`; resolves once it answers /healthz, throws with its log if it exits first. */
export async function startBridgeProcess(
  args: readonly string[] = [],
  options: BridgeProcessOptions = {},
): Promise<BridgeProcess> {
  const ingestPort = options.ingestPort ?? (await freePort());
  const httpPort = options.httpPort ?? (await freePort());
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  let child: ChildProcess | undefined;
  let log = '';

  const start = async () => {
    const proc = spawn(
      process.execPath,
      [
        ...NODE_FLAGS,
        ...(options.nodeFlags ?? []),
        BIN,
        'bridge',
        '--bind',
        '127.0.0.1',
        '--ingest-port',
        String(ingestPort),
        '--http-port',
        String(httpPort),
        ...args,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child = proc;
    options.onSpawn?.(proc);
    proc.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    const deadline = performance.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null)
        throw new Error(`obsmon bridge exited during start-up (${proc.exitCode ?? proc.signalCode}): ${log}`);
      if (
        await fetch(`${httpUrl}/healthz`).then(
          (r) => r.ok,
          () => false,
        )
      )
        return;
      if (performance.now() > deadline) {
        proc.kill('SIGKILL');
        throw new Error(
          `obsmon bridge did not answer /healthz within ${READY_TIMEOUT_MS / 1000} s: ${log.slice(-2000)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  await start();
  return {
    ingestPort,
    httpPort,
    httpUrl,
    get child() {
      return child!;
    },
    get pid() {
      return child!.pid!;
    },
    get log() {
      return log;
    },
    start,
    async stop(signal = 'SIGTERM') {
      const proc = child;
      if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return proc?.exitCode ?? null;
      const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill('SIGKILL'), KILL_AFTER_MS);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    async metricsText() {
      const res = await fetch(`${httpUrl}/metrics`);
      if (!res.ok) throw new Error(`/metrics answered ${res.status}`);
      return res.text();
    },
  };
}
