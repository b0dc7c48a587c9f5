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

test('a SIGTERM while the exporter starts ends it cleanly once it is up (exit 0)', async () => {
  const out = quiet();
  const server = `127.0.0.1:${await freePort()}`;
  const done = exporterCommand(['--server', server, '--interval', '1'], {});
  // The command is now inside its start-up awaits.
  process.emit('SIGTERM', 'SIGTERM');
  expect(await done).toBe(0);
  expect(out.join('')).toContain('SIGTERM received, shutting down');
}, 20_000);

test('a SIGTERM while the bridge starts ends it cleanly once it is up (exit 0)', async () => {
  const out = quiet();
  const argv = [
    '--bind',
    '127.0.0.1',
    '--ingest-port',
    String(await freePort()),
    '--http-port',
    String(await freePort()),
  ];
  const done = bridgeCommand(argv, {});
  process.emit('SIGTERM', 'SIGTERM');
  expect(await done).toBe(0);
  expect(out.join('')).toContain('SIGTERM received, shutting down');
}, 20_000);

test('a SIGINT while the demo starts (bridge, then its exporter) ends it cleanly once it is up (exit 0)', async () => {
  const out = quiet();
  const argv = ['--ingest-port', String(await freePort()), '--http-port', String(await freePort())];
  const done = demoCommand(argv, {});
  process.emit('SIGINT', 'SIGINT');
  expect(await done).toBe(0);
  expect(out.join('')).toContain('SIGINT received, shutting down');
}, 20_000);
