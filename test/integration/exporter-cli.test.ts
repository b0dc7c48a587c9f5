import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, test } from 'vitest';
import { parseLine } from '../../protocol/line.ts';
import { freePort } from '../../testkit/free-port.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { LineServer } from '../unit/exporter/line-server.ts';
import { AGENT_NODE_FLAGS } from '../../deploy/node-flags.ts';

const BIN = new URL('../../bin/obsmon.js', import.meta.url).pathname;
const children: ChildProcess[] = [];
const servers: LineServer[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  for (const s of servers.splice(0)) await s.stop();
});

function exporter(args: string[]) {
  const child = spawn(
    process.execPath,
    [...AGENT_NODE_FLAGS, BIN, 'exporter', '--node', 'cli1', '--interval', '0.2', ...args],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  const out = { stdout: '', stderr: '' };
  child.stdout!.on('data', (d: Buffer) => (out.stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out.stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, out, exited };
}

describe('obsmon exporter (the executable)', () => {
  test('sends valid reports from this machine and stops cleanly on SIGTERM', async () => {
    const srv = await LineServer.start();
    servers.push(srv);
    const { child, out, exited } = exporter(['--server', `127.0.0.1:${srv.port}`]);
    await waitFor('reports', () => srv.lines.length >= 3, 15_000, 50);
    for (const line of srv.lines) expect(parseLine(line).ok).toBe(true);
    expect(srv.lines[0]).toMatch(
      /^cli1 \d+(\.\d+)? cpu=[\d.]+ mem=[\d.]+ disk=[\d.]+ rx=\d+ tx=\d+ load1=[\d.]+ procs=\d+$/,
    );
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out.stderr).toMatch(/SIGTERM received, shutting down/);
    await waitFor('the connection closed', () => srv.sockets.size === 0);
  });

  test('with no bridge reachable it still stops promptly on SIGINT and says what was not sent', async () => {
    const metricsPort = await freePort();
    const { child, out, exited } = exporter([
      '--server',
      `127.0.0.1:${await freePort()}`,
      '--metrics-port',
      String(metricsPort),
    ]);
    await waitFor('the outage warning', () => out.stderr.includes('No server reachable'), 15_000, 50);
    await waitFor('queued reports', async () => {
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
      return /^obsmon_exporter_queue_reports [1-9]/m.test(text);
    });
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out.stderr).toMatch(/Stopped with \d+ reports unsent/);
  });

  test('a configuration error exits 2 with one line', async () => {
    const { out, exited } = exporter(['--server', 'nohostport']);
    expect(await exited).toBe(2);
    expect(out.stderr.trim().split('\n')).toHaveLength(1);
    expect(out.stderr).toMatch(/^obsmon exporter: Invalid --server/);
  });
});
