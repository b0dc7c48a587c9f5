import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from './free-port.ts';

const BIN = new URL('../../bin/obsmon.js', import.meta.url).pathname;

/** `obsmon bridge` as a child process, so tests can SIGTERM and SIGKILL it and start it again on the same ports. */
export interface BridgeProcess {
  readonly ingestPort: number;
  readonly httpUrl: string;
  /** Everything it logged, across restarts. */
  readonly log: string;
  start(): Promise<void>;
  /** Signal it and wait for the exit; resolves with the exit code (null after a signal it did not handle). */
  stop(signal: 'SIGTERM' | 'SIGKILL'): Promise<number | null>;
  metricsText(): Promise<string>;
}

export async function startBridgeProcess(args: readonly string[]): Promise<BridgeProcess> {
  const [ingestPort, httpPort] = [await freePort(), await freePort()];
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  let child: ChildProcess | undefined;
  let log = '';

  const start = async () => {
    const proc = spawn(
      process.execPath,
      [
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
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    child = proc;
    proc.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`obsmon bridge exited during start-up (${proc.exitCode}): ${log}`);
      if (
        await fetch(`${httpUrl}/healthz`).then(
          (r) => r.ok,
          () => false,
        )
      )
        return;
      if (Date.now() > deadline) throw new Error(`obsmon bridge did not answer /healthz within 20 s: ${log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  await start();
  return {
    ingestPort,
    httpUrl,
    get log() {
      return log;
    },
    start,
    async stop(signal) {
      const proc = child;
      child = undefined;
      if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return proc?.exitCode ?? null;
      const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
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
