import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, onTestFinished, test } from 'vitest';
import { LineSplitter } from '../../../protocol/line-splitter.ts';
import { parseLine } from '../../../protocol/line.ts';
import { REJECT_REASONS } from '../../../protocol/reject-reasons.ts';
import { sampleValue, startTestBridge } from '../../helpers/test-bridge.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const AGENTS = join(import.meta.dirname, '../../../examples/agents');
const RUN_TIMEOUT_MS = 10_000;

/** Where a program is on PATH, or a failure naming the Debian package that provides it. */
function which(binary: string, debianPackage: string): string {
  const found = spawnSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' }).stdout.trim();
  if (found === '') throw new Error(`${binary} is needed by this test: apt-get install ${debianPackage}`);
  return found;
}

interface Collector {
  readonly port: number;
  readonly lines: string[];
  connections: number;
}

/**
 * A stand-in bridge on 127.0.0.1 port 0: frames lines like the bridge, closes its side when the agent
 * half-closes, and can drop the first connection after some lines (a bridge restart).
 */
async function startCollector(dropFirstConnectionAfter?: number): Promise<Collector> {
  const sockets = new Set<Socket>();
  const collector: Collector = { port: 0, lines: [], connections: 0 };
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const first = collector.connections === 0;
    collector.connections += 1;
    let linesHere = 0;
    const splitter = new LineSplitter(4096);
    const sink = {
      line: (text: string) => {
        if (text === '') return;
        collector.lines.push(text);
        linesHere += 1;
        if (first && linesHere === dropFirstConnectionAfter) socket.destroy();
      },
      overlong: () => collector.lines.push('<overlong>'),
    };
    socket.on('data', (chunk: Buffer) => splitter.push(chunk, sink));
    socket.on('end', () => {
      splitter.end(sink);
      socket.end();
    });
    socket.on('error', () => undefined);
  });
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return Object.assign(collector, { port: (server.address() as { port: number }).port });
}

/** Run a program to its end, bounded in time; resolves with its exit code and stderr. */
function run(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} still running after ${RUN_TIMEOUT_MS} ms; stderr: ${stderr}`));
    }, RUN_TIMEOUT_MS);
    onTestFinished(() => {
      clearTimeout(timer);
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

let cAgent: string | undefined;
afterAll(() => {
  if (cAgent !== undefined) rmSync(join(cAgent, '..'), { recursive: true, force: true });
});
/** Compile examples/agents/agent.c once, warnings as errors; returns the binary. */
function buildCAgent(): string {
  if (cAgent !== undefined) return cAgent;
  const cc = which('cc', 'gcc');
  const binary = join(mkdtempSync(join(tmpdir(), 'obsmon-agent-c-')), 'obsmon-agent');
  const build = spawnSync(
    cc,
    ['-std=c99', '-Wall', '-Wextra', '-pedantic', '-Werror', '-O2', '-o', binary, join(AGENTS, 'agent.c')],
    {
      encoding: 'utf8',
      timeout: RUN_TIMEOUT_MS,
    },
  );
  expect(build.stderr).toBe('');
  expect(build.status).toBe(0);
  return (cAgent = binary);
}

const agentEnv = (target: { port: number }, node: string, count: number, path = process.env['PATH']) => ({
  PATH: path,
  OBSMON_HOST: '127.0.0.1',
  OBSMON_PORT: String(target.port),
  OBSMON_INTERVAL: '0.2',
  OBSMON_COUNT: String(count),
  OBSMON_NODE: node,
});

function expectReports(lines: readonly string[], node: string, keys: readonly string[]): void {
  for (const line of lines) {
    const parsed = parseLine(line);
    expect(parsed, line).toMatchObject({ ok: true, report: { node } });
    if (parsed.ok)
      expect(
        parsed.report.samples.map((s) => s.key),
        line,
      ).toEqual(keys);
  }
}

describe('example agents (docs/protocol.md) send lines that parse', () => {
  test('agent.sh over nc: one connection per report', async () => {
    which('nc', 'netcat-openbsd');
    const collector = await startCollector();
    const { code, stderr } = await run('sh', [join(AGENTS, 'agent.sh')], agentEnv(collector, 'sh-agent', 3));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(collector.lines).toHaveLength(3);
    expect(collector.connections).toBe(3);
    expectReports(collector.lines, 'sh-agent', ['mem', 'load1', 'load5', 'load15']);
  });

  test('agent.sh without nc falls back to bash /dev/tcp', async () => {
    // A PATH holding only what the script needs, and no nc.
    const bin = mkdtempSync(join(tmpdir(), 'obsmon-no-nc-'));
    onTestFinished(() => rmSync(bin, { recursive: true, force: true }));
    for (const tool of ['sh', 'bash', 'uname', 'date', 'sleep']) symlinkSync(which(tool, 'coreutils'), join(bin, tool));
    const collector = await startCollector();
    const { code, stderr } = await run(
      join(bin, 'sh'),
      [join(AGENTS, 'agent.sh')],
      agentEnv(collector, 'sh-devtcp', 2, bin),
    );
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(collector.lines).toHaveLength(2);
    expectReports(collector.lines, 'sh-devtcp', ['mem', 'load1', 'load5', 'load15']);
  });

  test('agent.py: one connection for all reports', async () => {
    const python = which('python3', 'python3');
    const collector = await startCollector();
    const { code, stderr } = await run(python, [join(AGENTS, 'agent.py')], agentEnv(collector, 'py-agent', 3));
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(collector.lines).toHaveLength(3);
    expect(collector.connections).toBe(1);
    expectReports(collector.lines, 'py-agent', ['load1', 'load5', 'load15', 'disk']);
  });

  test('agent.py reconnects after the bridge drops its connection', async () => {
    const python = which('python3', 'python3');
    const collector = await startCollector(1);
    const { code } = await run(python, [join(AGENTS, 'agent.py')], agentEnv(collector, 'py-agent', 4));
    expect(code).toBe(0);
    // The report written into the dropped connection is lost; the retry on a fresh one saves the next.
    expect(collector.connections).toBe(2);
    expect(collector.lines.length).toBeGreaterThanOrEqual(3);
    expectReports(collector.lines, 'py-agent', ['load1', 'load5', 'load15', 'disk']);
  });

  test('agent.c compiles warning-free, sends, and reconnects after the bridge drops its connection', async () => {
    const binary = buildCAgent();
    const collector = await startCollector(1);
    const { code } = await run(binary, [], agentEnv(collector, 'c-agent', 4));
    expect(code).toBe(0);
    expect(collector.connections).toBe(2);
    expect(collector.lines.length).toBeGreaterThanOrEqual(3);
    expectReports(collector.lines, 'c-agent', ['load1', 'load5', 'load15']);
  });

  test('a real bridge accepts every report of all three agents', async () => {
    which('nc', 'netcat-openbsd');
    const python = which('python3', 'python3');
    const binary = buildCAgent();
    const bridge = await startTestBridge();
    onTestFinished(() => bridge.stop());
    const target = { port: bridge.ingestPort };
    const runs = await Promise.all([
      run('sh', [join(AGENTS, 'agent.sh')], agentEnv(target, 'sh-agent', 2)),
      run(python, [join(AGENTS, 'agent.py')], agentEnv(target, 'py-agent', 2)),
      run(binary, [], agentEnv(target, 'c-agent', 2)),
    ]);
    expect(runs).toEqual(Array(3).fill({ code: 0, stderr: '' }));
    // The agents have exited, but the bridge may still be reading their last bytes.
    const metrics = await waitFor('6 accepted reports', async () => {
      const text = await bridge.metricsText();
      return sampleValue(text, 'obsmon_bridge_reports_accepted_total', '') === 6 ? text : undefined;
    });
    for (const reason of REJECT_REASONS)
      expect(sampleValue(metrics, 'obsmon_bridge_rejected_lines_total', `reason="${reason}"`), reason).toBe(0);
    for (const node of ['sh-agent', 'py-agent', 'c-agent'])
      expect(sampleValue(metrics, 'obsmon_node_up', `node="${node}"`), node).toBe(1);
  });
});
