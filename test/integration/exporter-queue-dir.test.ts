import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { startBridgeProcess, type BridgeProcess } from '../../testkit/bridge-process.ts';
import { freePort } from '../../testkit/free-port.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { AGENT_NODE_FLAGS } from '../../deploy/node-flags.ts';

const BIN = new URL('../../bin/obsmon.js', import.meta.url).pathname;
const NODE = 'qdir1';
const children: ChildProcess[] = [];
const cleanup: Array<() => Promise<unknown> | void> = [];

afterEach(async () => {
  for (const child of children.splice(0))
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const step of cleanup.splice(0).reverse()) await step();
});

function exporter(args: readonly string[]) {
  const child = spawn(
    process.execPath,
    [...AGENT_NODE_FLAGS, BIN, 'exporter', '--node', NODE, '--interval', '1', ...args],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  children.push(child);
  const out = { stderr: '' };
  child.stderr!.on('data', (d: Buffer) => (out.stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return { child, out, exited };
}

function sample(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

async function scrape(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
}

async function historyStamps(bridge: BridgeProcess, from: number): Promise<number[]> {
  const res = await fetch(
    `${bridge.httpUrl}/api/v1/nodes/${NODE}/history?metric=cpu&from=${Math.floor(from)}&to=${Math.ceil(Date.now() / 1000) + 5}`,
  );
  if (!res.ok) return [];
  const body = (await res.json()) as { points: Array<[number, number]> };
  return body.points.map(([t]) => t);
}

describe('obsmon exporter --queue-dir (issue 14, item 5)', () => {
  test('a backlog queued while the bridge is down survives SIGKILL of the agent and reaches the bridge, oldest first, with its timestamps', async () => {
    const queueDir = mkdtempSync(join(tmpdir(), 'obsmon-qdir-'));
    cleanup.push(() => rmSync(queueDir, { recursive: true, force: true }));
    // The bridge gets its ports now and is stopped: the agent starts into an outage.
    const bridge = await startBridgeProcess([]);
    cleanup.push(() => bridge.stop('SIGKILL'));
    await bridge.stop('SIGTERM');
    const server = `127.0.0.1:${bridge.ingestPort}`;
    const startedAt = Date.now() / 1000;

    const metricsPort = await freePort();
    const first = exporter(['--server', server, '--queue-dir', queueDir, '--metrics-port', String(metricsPort)]);
    const queued = await waitFor(
      'six queued reports',
      async () => {
        const text = await scrape(metricsPort);
        const length = sample(text, 'obsmon_exporter_queue_reports') ?? 0;
        return length >= 6
          ? { length, oldest: sample(text, 'obsmon_exporter_queue_oldest_timestamp_seconds')!, text }
          : undefined;
      },
      40_000,
      50,
    );
    // Killed right after the scrape: at most one more report (1 s apart) can have been queued meanwhile.
    first.child.kill('SIGKILL');
    await first.exited;
    const killedAt = Date.now() / 1000;
    expect(sample(queued.text, 'obsmon_exporter_reports_dropped_total{reason="overflow"}')).toBe(0);
    expect(sample(queued.text, 'obsmon_exporter_queue_disk_bytes')).toBeGreaterThan(0);
    expect(queued.oldest).toBeGreaterThanOrEqual(Math.floor(startedAt));

    await bridge.start();
    const second = exporter(['--server', server, '--queue-dir', queueDir]);
    const restartedAt = Date.now() / 1000;
    // The backlog, then at least two fresh reports of the new process.
    const stamps = await waitFor(
      'backlog and fresh reports at the bridge',
      async () => {
        const s = await historyStamps(bridge, startedAt - 5);
        return s.filter((t) => t > restartedAt).length >= 2 ? s : undefined;
      },
      40_000,
      100,
    );

    const backlog = stamps.filter((t) => t < killedAt);
    // Every report that was queued, exactly one per second from the oldest: none lost, none invented.
    expect(backlog[0]).toBe(queued.oldest);
    expect(
      backlog.length === queued.length || backlog.length === queued.length + 1,
      `${backlog.length} vs ${queued.length}`,
    ).toBe(true);
    expect(backlog).toEqual(backlog.map((_, i) => queued.oldest + i));
    // Oldest first: a report older than one already received would count as out of order.
    const bridgeMetrics = await bridge.metricsText();
    expect(sample(bridgeMetrics, 'obsmon_bridge_reports_out_of_order_total')).toBe(0);
    expect(second.out.stderr).toMatch(new RegExp(`holds ${backlog.length} reports .* from before the restart`));

    // Acknowledged reports leave the directory: a third start sends only its own reports.
    second.child.kill('SIGTERM');
    await second.exited;
    const linesBefore = sample(await bridge.metricsText(), 'obsmon_bridge_lines_total')!;
    const third = exporter(['--server', server, '--queue-dir', queueDir]);
    const thirdAt = Date.now() / 1000;
    await waitFor(
      'fresh reports of the third start',
      async () => (await historyStamps(bridge, thirdAt)).length >= 2,
      40_000,
      100,
    );
    const linesAfter = sample(await bridge.metricsText(), 'obsmon_bridge_lines_total')!;
    const fresh = (await historyStamps(bridge, thirdAt)).length;
    expect(linesAfter - linesBefore).toBeLessThan(fresh + backlog.length);
    // At most the report or two in flight at the SIGTERM can still have been waiting for their PONG.
    expect(Number(/holds (\d+) reports/.exec(third.out.stderr)?.[1] ?? 0)).toBeLessThan(backlog.length);
  }, 120_000);
});
