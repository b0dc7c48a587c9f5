import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { startBridgeProcess, type BridgeProcess } from '../../testkit/bridge-process.ts';
import { startHarness, type Harness } from '../helpers/rts2-peer/harness.ts';
import { sendAndClose } from '../helpers/tcp-client.ts';
import { waitFor } from '../helpers/wait-for.ts';

/*
 * rts2-sensord watching a real bridge child that is SIGKILLed and started again, as a host crash or
 * an OOM kill would do. Agents resume a moment after the bridge is back (their reconnect backoff),
 * so the device's first polls of the new bridge come before any new report.
 */
let dir: string | undefined;
let bridge: BridgeProcess | undefined;
let harness: Harness | undefined;
let agentTimer: NodeJS.Timeout | undefined;

afterEach(async () => {
  clearInterval(agentTimer);
  await harness?.stop();
  harness = undefined;
  await bridge?.stop('SIGKILL');
  bridge = undefined;
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

const NODES = /\b(cam1|live1|gone-inv|gone1)\b/;
const nodeMessages = (h: Harness, from = 0) =>
  h.centrald.messages
    .slice(from)
    .filter((l) => NODES.test(l))
    .map((l) => l.replace(/^M \d+ \d+ OBSMON /, ''));

describe('rts2-sensord across a bridge restart', () => {
  test('no warning for live nodes, no new announcement for gone ones', async () => {
    dir = mkdtempSync(join(tmpdir(), 'obsmon-rts2-restart-'));
    const inventory = join(dir, 'inventory.yaml');
    writeFileSync(inventory, 'nodes:\n  - { name: cam1, critical: true }\n  - { name: gone-inv }\n');
    const b = await startBridgeProcess([
      '--spool-dir',
      join(dir, 'spool'),
      '--inventory',
      inventory,
      '--down-after',
      '15',
      '--state-interval',
      '0.2',
    ]);
    bridge = b;
    harness = await startHarness({ bridge: false, sensord: { bridge: b.httpUrl } });
    const h = harness;

    let last = 0;
    let cpu = 10;
    const send = (names: readonly string[]) => {
      last = Number((Date.now() / 1000).toFixed(3));
      return sendAndClose(b.ingestPort, names.map((n) => `${n} ${last} cpu=${cpu}\n`).join('')).catch(() => '');
    };
    await send(['cam1', 'live1', 'gone-inv', 'gone1']);
    agentTimer = setInterval(() => void send(['cam1', 'live1']), 300);
    await waitFor(
      'both gone nodes announced',
      () => nodeMessages(h).filter((m) => m.includes('sent no report')).length === 2,
      30_000,
      100,
    );
    const silent = nodeMessages(h).filter((m) => m.includes('sent no report'));
    expect(silent.map((m) => m.replace(/\d+ s$/, 'N s')).sort()).toEqual([
      '2 gone-inv sent no report for N s',
      '2 gone1 sent no report for N s',
    ]);

    clearInterval(agentTimer);
    const statePath = join(dir, 'spool', 'nodes.json');
    await waitFor(
      'a save after the last report',
      () => readFileSync(statePath, 'utf8').includes(`"lastTimestamp":${last},`),
      10_000,
      50,
    );
    const before = h.centrald.messages.length;
    await b.stop('SIGKILL');
    await b.start();
    // The device polls the new bridge (its stream reconnects at once) before any agent is back.
    await waitFor(
      'the device to see the bridge again',
      () => h.centrald.messages.slice(before).some((l) => l.includes('answers again')),
      20_000,
      50,
    );
    await new Promise((r) => setTimeout(r, 1000));
    cpu = 11;
    agentTimer = setInterval(() => void send(['cam1', 'live1']), 300);
    await waitFor(
      'new values of cam1 and live1 at the device',
      async () => {
        const res = await fetch(`${b.httpUrl}/api/v1/nodes`);
        const nodes = ((await res.json()) as { nodes: Array<{ node: string; metrics: Array<{ value: number }> }> })
          .nodes;
        return ['cam1', 'live1'].every((n) => nodes.find((x) => x.node === n)?.metrics[0]?.value === 11);
      },
      20_000,
      100,
    );
    // Two more poll cycles of the device (0.2 s) after the new values.
    await new Promise((r) => setTimeout(r, 1000));
    expect(nodeMessages(h, before)).toEqual([]);
  }, 90_000);

  test('a bridge away for longer than --down-after: live nodes get one --down-after to report again, a dead one is announced after it', async () => {
    dir = mkdtempSync(join(tmpdir(), 'obsmon-rts2-restart-'));
    const b = await startBridgeProcess([
      '--spool-dir',
      join(dir, 'spool'),
      '--down-after',
      '4',
      '--state-interval',
      '0.2',
    ]);
    bridge = b;
    harness = await startHarness({ bridge: false, sensord: { bridge: b.httpUrl } });
    const h = harness;
    const send = (names: readonly string[]) =>
      sendAndClose(b.ingestPort, names.map((n) => `${n} ${Date.now() / 1000} cpu=1\n`).join('')).catch(() => '');
    await send(['live1', 'cam1', 'gone1']);
    agentTimer = setInterval(() => void send(['live1', 'cam1']), 300);
    await waitFor(
      'gone1 announced',
      () => nodeMessages(h).some((m) => m.includes('gone1 sent no report')),
      20_000,
      100,
    );
    const before = h.centrald.messages.length;

    clearInterval(agentTimer);
    await b.stop('SIGKILL');
    await waitFor(
      'the device to miss the bridge',
      () => h.centrald.messages.slice(before).some((l) => l.includes('unreachable')),
      10_000,
      50,
    );
    // Away for longer than --down-after: every node's last report is now too old for the bridge too.
    await new Promise((r) => setTimeout(r, 5000));
    await b.start();
    await waitFor(
      'the device to see the bridge again',
      () => h.centrald.messages.slice(before).some((l) => l.includes('answers again')),
      20_000,
      50,
    );
    // Agents reconnect after their backoff; cam1's agent never does.
    await new Promise((r) => setTimeout(r, 1000));
    agentTimer = setInterval(() => void send(['live1']), 300);
    await waitFor('cam1 announced once its grace is over', () => nodeMessages(h, before).length > 0, 20_000, 100);
    expect(nodeMessages(h, before).map((m) => m.replace(/\d+ s$/, 'N s'))).toEqual(['2 cam1 sent no report for N s']);
  }, 90_000);
});
