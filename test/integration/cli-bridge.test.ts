import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, test } from 'vitest';
import { freePort } from '../../testkit/free-port.ts';
import { checkMetrics } from '../helpers/promtool.ts';
import { waitFor } from '../helpers/wait-for.ts';

const BIN = new URL('../../bin/obsmon.js', import.meta.url).pathname;
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

function obsmon(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    timeout: 20_000,
    env: { ...process.env, ...env },
  });
}

async function metrics(httpPort: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${httpPort}/metrics`);
  return res.ok ? res.text() : '';
}

describe("obsmon demo (the README's first command)", () => {
  test("shows this machine's values on /metrics within one interval and prints the URLs", async () => {
    const [ingestPort, httpPort] = [await freePort(), await freePort()];
    const child = spawn(
      process.execPath,
      [
        BIN,
        'demo',
        '--ingest-port',
        String(ingestPort),
        '--http-port',
        String(httpPort),
        '--interval',
        '1',
        '--node',
        'demo-host',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(child);
    let stdout = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    const text = await waitFor(
      'this machine on /metrics',
      async () => {
        const t = await metrics(httpPort).catch(() => '');
        return t.includes('obsmon_node_memory_usage_percent{node="demo-host"}') &&
          t.includes('obsmon_node_disk_usage_percent{node="demo-host",mount="/"}')
          ? t
          : undefined;
      },
      15_000,
      200,
    );
    expect(text).toContain('obsmon_node_up{node="demo-host"} 1');
    expect(stdout).toContain(`http://127.0.0.1:${httpPort}/metrics`);
    expect(stdout).toContain(`http://127.0.0.1:${httpPort}/`);
    child.kill('SIGTERM');
    expect(await new Promise((resolve) => child.once('exit', resolve))).toBe(0);
  });
});

describe('obsmon bridge (the executable)', () => {
  test('a line sent with nc appears on /metrics, and SIGTERM stops the bridge cleanly', async () => {
    const [ingestPort, httpPort] = [await freePort(), await freePort()];
    const child = spawn(
      process.execPath,
      [BIN, 'bridge', '--bind', '127.0.0.1', '--ingest-port', String(ingestPort), '--http-port', String(httpPort)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(child);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    await waitFor('/metrics to answer', () => metrics(httpPort), 15_000, 100);

    const line = `ncnode ${Math.floor(Date.now() / 1000)} cpu=12.5 mem=43.1 disk=81.2 rx=1 tx=2`;
    const nc = spawnSync('sh', ['-c', `printf '%s\\n' "$LINE" | nc -N 127.0.0.1 ${ingestPort}`], {
      env: { ...process.env, LINE: line },
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect(nc.status, nc.stderr).toBe(0);
    const text = await waitFor('the nc line on /metrics', async () => {
      const t = await metrics(httpPort);
      return t.includes('obsmon_node_cpu_usage_percent{node="ncnode"} 12.5') ? t : undefined;
    });
    expect(checkMetrics(text).status).toBe(0);
    expect(stderr).toContain(`http://127.0.0.1:${httpPort}/metrics`);

    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code).toBe(0);
    expect(stderr).toContain('SIGTERM received');
  });

  test('a bad flag value stops start-up with one line naming option, value and expectation', () => {
    const result = obsmon(['bridge', '--ingest-port', 'seventy']);
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/--ingest-port "seventy" \(from flag --ingest-port\): expected a TCP port number/);
  });

  test('a bad environment value is reported with the variable name', () => {
    const result = obsmon(['bridge'], { OBSMON_HTTP_PORT: '70000' });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/--http-port "70000" \(from environment OBSMON_HTTP_PORT\)/);
  });

  test('an unknown flag and an unknown command are refused', () => {
    expect(obsmon(['bridge', '--nope']).status).toBe(2);
    expect(obsmon(['frobnicate']).status).toBe(2);
    // Not Object.prototype.constructor: an unknown command like any other.
    const proto = obsmon(['constructor']);
    expect(proto.status).toBe(2);
    expect(proto.stderr).toContain('unknown command "constructor"');
  });

  test('--help of every subcommand lists its public flags', () => {
    const bridge = obsmon(['bridge', '--help']);
    expect(bridge.status).toBe(0);
    for (const flag of ['--bind', '--ingest-port', '--http-port', 'OBSMON_INGEST_PORT'])
      expect(bridge.stdout).toContain(flag);
    const exporter = obsmon(['exporter', '--help']);
    expect(exporter.status).toBe(0);
    for (const flag of ['--server', '--node', '--interval']) expect(exporter.stdout).toContain(flag);
    const demo = obsmon(['demo', '--help']);
    expect(demo.status).toBe(0);
    for (const flag of ['--bind', '--ingest-port', '--http-port']) expect(demo.stdout).toContain(flag);
  });
});
