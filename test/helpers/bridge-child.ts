import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from './free-port.ts';
import { waitFor } from './wait-for.ts';

const BIN = new URL('../../bin/obsmon.js', import.meta.url).pathname;

export interface BridgeChild {
  readonly child: ChildProcess;
  readonly ingestPort: number;
  readonly httpPort: number;
  readonly httpUrl: string;
  /** Everything the bridge logged so far. */
  stderr(): string;
  metricsText(): Promise<string>;
  /** Signal (default SIGTERM) and wait for exit; resolves with the exit code. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<number | null>;
}

/**
 * `obsmon bridge` as a real child process on loopback (own RSS), ready when /metrics answers.
 * `nodeFlags` go to node itself, e.g. `--max-old-space-size=160` to prove a memory bound.
 */
export async function startBridgeChild(
  extraArgs: readonly string[] = [],
  nodeFlags: readonly string[] = [],
  ports: { readonly ingestPort?: number; readonly httpPort?: number } = {},
): Promise<BridgeChild> {
  const ingestPort = ports.ingestPort ?? (await freePort());
  const httpPort = ports.httpPort ?? (await freePort());
  const child = spawn(
    process.execPath,
    [
      ...nodeFlags,
      BIN,
      'bridge',
      '--bind',
      '127.0.0.1',
      '--ingest-port',
      String(ingestPort),
      '--http-port',
      String(httpPort),
      ...extraArgs,
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  const metricsText = async () => {
    const res = await fetch(`${httpUrl}/metrics`);
    if (!res.ok) throw new Error(`/metrics answered ${res.status}`);
    return res.text();
  };
  try {
    await waitFor('the bridge process to serve /metrics', () => metricsText(), 20_000, 100);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}; its log: ${stderr.slice(-500)}`, { cause: error });
  }
  return {
    child,
    ingestPort,
    httpPort,
    httpUrl,
    stderr: () => stderr,
    metricsText,
    stop: (signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM') =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill(signal);
        setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
      }),
  };
}
