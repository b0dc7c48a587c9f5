import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { startBridgeProcess, type BridgeProcess } from '../../testkit/bridge-process.ts';
import { sendAndClose } from '../helpers/tcp-client.ts';
import { sampleValue } from '../helpers/test-bridge.ts';
import { waitFor } from '../helpers/wait-for.ts';

/*
 * A real `obsmon bridge` child with --spool-dir (so the node table goes to <spool-dir>/nodes.json),
 * agents reporting, two nodes gone silent; then SIGKILL (or SIGTERM) and a start on the same ports.
 */
interface NodeJson {
  node: string;
  inventory: boolean;
  up: boolean;
  lastReportTimestamp: number | null;
  lastSeenSecondsAgo: number | null;
  metrics: Array<{ key: string; value: number; status: string }>;
}

let dir: string | undefined;
let bridge: BridgeProcess | undefined;
let agentTimer: NodeJS.Timeout | undefined;

afterEach(async () => {
  clearInterval(agentTimer);
  await bridge?.stop('SIGKILL');
  bridge = undefined;
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

async function nodes(b: BridgeProcess): Promise<Map<string, NodeJson>> {
  const body = (await (await fetch(`${b.httpUrl}/api/v1/nodes`)).json()) as { nodes: NodeJson[] };
  return new Map(body.nodes.map((n) => [n.node, n]));
}

/** Agent time of the last report sent per node (fractional seconds, distinct per report). */
const sent = new Map<string, number>();

async function report(b: BridgeProcess, names: readonly string[], cpu: number): Promise<void> {
  const t = Date.now() / 1000;
  for (const n of names) sent.set(n, t);
  await sendAndClose(b.ingestPort, names.map((n) => `${n} ${t.toFixed(3)} cpu=${cpu}\n`).join(''));
}

/** The state file holds each node's newest report (a save ran after it). */
function savedUpTo(path: string, expected: ReadonlyMap<string, number>): boolean {
  if (!existsSync(path)) return false;
  const saved = new Map<string, number>();
  for (const line of readFileSync(path, 'utf8').split('\n').slice(1)) {
    const entry = line === '' ? undefined : (JSON.parse(line) as { node?: string; lastTimestamp?: number });
    if (entry?.node !== undefined) saved.set(entry.node, entry.lastTimestamp!);
  }
  return [...expected].every(([n, t]) => Math.abs((saved.get(n) ?? 0) - Number(t.toFixed(3))) < 1e-6);
}

async function fleetWithTwoGone(extraArgs: readonly string[]): Promise<{ b: BridgeProcess; statePath: string }> {
  dir = mkdtempSync(join(tmpdir(), 'obsmon-restart-'));
  const inventory = join(dir, 'inventory.yaml');
  writeFileSync(
    inventory,
    'nodes:\n  - { name: cam1, group: cameras, critical: true }\n  - { name: gone-inv }\n  - { name: idle }\n',
  );
  const b = await startBridgeProcess([
    '--spool-dir',
    join(dir, 'spool'),
    '--inventory',
    inventory,
    '--down-after',
    '4',
    ...extraArgs,
  ]);
  bridge = b;
  await report(b, ['cam1', 'live1', 'gone-inv', 'gone1'], 10);
  agentTimer = setInterval(() => void report(b, ['cam1', 'live1'], 20).catch(() => undefined), 300);
  await waitFor(
    'gone-inv and gone1 down, cam1 and live1 up',
    async () => {
      const n = await nodes(b);
      return (
        n.get('gone-inv')?.up === false &&
        n.get('gone1')?.up === false &&
        n.get('cam1')?.up === true &&
        n.get('live1')?.up === true
      );
    },
    20_000,
    200,
  );
  clearInterval(agentTimer);
  return { b, statePath: join(dir, 'spool', 'nodes.json') };
}

describe('bridge restart keeps the node table (--spool-dir/nodes.json)', () => {
  test('SIGKILL and start: the down nodes are still down, up nodes keep their real last report, non-inventory nodes remain', async () => {
    const { b, statePath } = await fleetWithTwoGone(['--state-interval', '0.2']);
    await waitFor('a save after the last reports', () => savedUpTo(statePath, sent), 10_000, 50);
    const before = await nodes(b);
    expect(await b.stop('SIGKILL')).toBeNull();
    await b.start();
    const after = await nodes(b);

    expect([...after.keys()].sort()).toEqual(['cam1', 'gone-inv', 'gone1', 'idle', 'live1']);
    for (const [name, was] of before) {
      const now = after.get(name)!;
      expect(now.lastReportTimestamp, name).toBe(was.lastReportTimestamp);
      expect(now.inventory, name).toBe(was.inventory);
      // Judged by the real time of the last report: the restart never makes a node look fresher.
      if (was.lastSeenSecondsAgo !== null)
        expect(now.lastSeenSecondsAgo!, name).toBeGreaterThanOrEqual(was.lastSeenSecondsAgo);
    }
    expect(after.get('idle')).toMatchObject({ up: false, lastReportTimestamp: null, lastSeenSecondsAgo: null });
    for (const gone of ['gone-inv', 'gone1'])
      expect(after.get(gone)).toMatchObject({ up: false, lastReportTimestamp: Number(sent.get(gone)!.toFixed(3)) });
    expect(after.get('gone1')!.metrics.map((m) => m.status)).toEqual(['stale']);

    const metrics = await b.metricsText();
    expect(sampleValue(metrics, 'obsmon_node_up', 'node="gone1"')).toBe(0);
    expect(sampleValue(metrics, 'obsmon_node_up', 'node="gone-inv"')).toBe(0);
    expect(sampleValue(metrics, 'obsmon_node_last_report_timestamp_seconds', 'node="live1"')).toBe(
      Number(sent.get('live1')!.toFixed(3)),
    );
    expect(sampleValue(metrics, 'obsmon_node_cpu_usage_percent', 'node="gone1"')).toBeUndefined();
    expect(sampleValue(metrics, 'obsmon_bridge_state_restored_nodes', '')).toBe(4);

    // A restored up node's value is served only until --down-after past its real report.
    await waitFor('live1 down without reports', async () => (await nodes(b)).get('live1')?.up === false, 10_000, 100);
    expect(sampleValue(await b.metricsText(), 'obsmon_node_cpu_usage_percent', 'node="live1"')).toBeUndefined();
    await report(b, ['live1'], 30);
    expect((await nodes(b)).get('live1')).toMatchObject({
      up: true,
      metrics: [{ key: 'cpu', value: 30, status: 'ok' }],
    });
  }, 90_000);

  test('SIGTERM and start: the save at a clean stop is enough', async () => {
    const { b } = await fleetWithTwoGone(['--state-interval', '3600']);
    const before = await nodes(b);
    expect(await b.stop('SIGTERM')).toBe(0);
    await b.start();
    const after = await nodes(b);
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const [name, was] of before) expect(after.get(name)!.lastReportTimestamp, name).toBe(was.lastReportTimestamp);
    expect(after.get('gone1')!.up).toBe(false);
  }, 90_000);

  test('a corrupt state file is logged and ignored: the bridge starts with an empty table', async () => {
    dir = mkdtempSync(join(tmpdir(), 'obsmon-restart-'));
    const state = join(dir, 'state.json');
    writeFileSync(state, '{"format":"obsmon-node-state","version":1,"savedAt":1}\n{"node":"x y"}\n');
    const b = await startBridgeProcess(['--state-file', state]);
    bridge = b;
    expect((await nodes(b)).size).toBe(0);
    expect(b.log).toMatch(
      /Ignoring the node state file ".*state\.json" \(line 2: .*\): starting with an empty node table/,
    );
    expect(
      sampleValue(await b.metricsText(), 'obsmon_bridge_state_restore_dropped_total', 'reason="invalid_file"'),
    ).toBe(1);
  }, 60_000);
});
