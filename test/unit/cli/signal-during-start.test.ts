import { afterEach, expect, test, vi } from 'vitest';
import { bridgeCommand } from '../../../cli/bridge.ts';
import { demoCommand } from '../../../cli/demo.ts';
import { exporterCommand } from '../../../cli/exporter.ts';
import { freePort } from '../../../testkit/free-port.ts';

// A service manager may stop a daemon while it is still starting (a spool replay, the first report going
// out): the SIGTERM must be taken by the graceful path, not by the default action that kills the process.

const before = { SIGTERM: process.listeners('SIGTERM'), SIGINT: process.listeners('SIGINT') };

afterEach(() => {
  // The commands leave their "second signal exits at once" handlers; this worker is not theirs to end.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    for (const listener of process.listeners(signal)) {
      if (!before[signal].includes(listener)) process.off(signal, listener);
    }
  }
  vi.restoreAllMocks();
});

function quiet(): string[] {
  const out: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
  return out;
}

type Start = (argv: readonly string[], env: NodeJS.ProcessEnv) => Promise<number>;
const ports = async () => ['--ingest-port', String(await freePort()), '--http-port', String(await freePort())];

test.each<[string, Start, NodeJS.Signals, () => Promise<string[]>]>([
  [
    'exporter',
    exporterCommand,
    'SIGTERM',
    async () => ['--server', `127.0.0.1:${await freePort()}`, '--interval', '1'],
  ],
  ['bridge', bridgeCommand, 'SIGTERM', async () => ['--bind', '127.0.0.1', ...(await ports())]],
  // The demo starts a bridge, then its exporter.
  ['demo', demoCommand, 'SIGINT', ports],
])(
  'a signal while the %s starts ends it cleanly once it is up (exit 0)',
  async (_name, start, signal, argv) => {
    const out = quiet();
    const done = start(await argv(), {});
    // The command is now inside its start-up awaits.
    process.emit(signal, signal);
    expect(await done).toBe(0);
    expect(out.join('')).toContain(`${signal} received, shutting down`);
  },
  20_000,
);
