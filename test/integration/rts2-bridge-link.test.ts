import { afterEach, describe, expect, test } from 'vitest';
import { freePort } from '../../testkit/free-port.ts';
import { startHarness, tempFile, type Harness } from '../helpers/rts2-peer/harness.ts';
import { Monitor, type DeviceView } from '../helpers/rts2-peer/monitor.ts';
import { sendAndClose } from '../helpers/tcp-client.ts';
import { startTestBridge, type TestBridge } from '../helpers/test-bridge.ts';
import { waitFor } from '../helpers/wait-for.ts';

const INVENTORY = 'nodes:\n  - { name: cam1, group: cameras, critical: true }\n  - { name: web1 }\n';
const BOOL_WARNING = 0x10000006;
const BOOL_ERROR = 0x20000006;
const NOT_READY = 0x40000;
const HW_ERROR = 0x20000;

let harness: Harness | undefined;
let monitor: Monitor | undefined;
let lateBridge: TestBridge | undefined;

afterEach(async () => {
  monitor?.close();
  monitor = undefined;
  await harness?.stop();
  harness = undefined;
  await lateBridge?.stop();
  lateBridge = undefined;
});

async function watch(h: Harness): Promise<DeviceView> {
  await waitFor('registration', () => h.centrald.device('OBSMON')?.received.some((l) => l.startsWith('S ')));
  monitor = await Monitor.login(h.centrald.port);
  const m = monitor;
  await waitFor('the device announced', () => m.devices.has('OBSMON'));
  const { view, auth } = await m.open('OBSMON');
  expect(auth?.code).toBe(0);
  return view;
}

const report = (port: number, ...lines: string[]) => {
  const now = Math.floor(Date.now() / 1000);
  return sendAndClose(port, lines.map((l) => `${l.replace(' now ', ` ${now} `)}\n`).join(''));
};

describe('rts2-sensord and the bridge link', () => {
  test('a node that stops reporting goes stale: no-data figures (--), _up 0 flagged, one message each way', async () => {
    harness = await startHarness({ bridge: { inventory: tempFile('inventory.yaml', INVENTORY), downAfter: 1 } });
    const h = harness;
    const view = await watch(h);
    // Inventory nodes that never reported are down from the start; cam1 is critical.
    await waitFor(
      'cam1 down from start, HW ERROR',
      () => view.flags('cam1_up') === BOOL_ERROR && view.state === HW_ERROR,
    );
    expect(view.flags('web1_up')).toBe(BOOL_WARNING);
    expect(view.text('cam1_age')).toBe('--');

    await h.report('cam1 now cpu=12 disk=20', 'web1 now cpu=1');
    await waitFor('cam1 up', () => view.values.get('cam1_up')!.raw === '1' && view.state === 0);
    expect(view.text('cam1_cpu')).toBe('12.0%');
    expect(view.flags('cam1_up')).toBe(6);
    // Silence for longer than the bridge's --down-after.
    await waitFor('cam1 stale', () => view.values.get('cam1_up')!.raw === '0' && view.text('cam1_cpu') === '--', 6000);
    expect(view.flags('cam1_up')).toBe(BOOL_ERROR);
    expect(view.flags('cam1_cpu')).toBe(1);
    await waitFor('HW ERROR for the silent critical node', () => view.state === HW_ERROR);
    expect(view.text('cam1_age')).toMatch(/^[1-9]\d* s$/);
    await h.report('cam1 now cpu=13', 'web1 now cpu=1');
    await waitFor('cam1 back', () => view.text('cam1_cpu') === '13.0%' && view.state === 0);
    const messages = h.centrald.messages
      .filter((l) => / cam1 (sent|has|reports)/.test(l))
      .map((l) => l.replace(/^M \d+ \d+ OBSMON /, ''));
    expect(messages[0]).toBe('1 cam1 has never reported');
    expect(messages[1]).toBe('4 cam1 reports again');
    expect(messages[2]).toMatch(/^1 cam1 sent no report for \d+ s$/);
    expect(messages[3]).toBe('4 cam1 reports again');
    expect(messages).toHaveLength(4);
  });

  // Seen against a real centrald: no inventory, every node down, and `S 0 "all nodes within limits"`.
  test('without inventory, the state text counts the nodes that are down', async () => {
    harness = await startHarness({ bridge: { downAfter: 1 } });
    const h = harness;
    const view = await watch(h);
    const states = () => h.centrald.device('OBSMON')!.received.filter((l) => l.startsWith('S '));
    await h.report('n1 now cpu=1', 'n2 now cpu=1', 'n3 now cpu=1');
    await waitFor('all up', () => states().includes('S 0 "all 3 nodes within limits"'));
    // n1 keeps reporting while n2 and n3 fall silent: the window for "2 of 3" is as long as the wait.
    await waitFor(
      'two down',
      async () => {
        await h.report('n1 now cpu=1');
        return states().includes('S 0 "2 of 3 nodes down"');
      },
      15_000,
      250,
    );
    await waitFor('all down', () => states().includes('S 0 "3 of 3 nodes down"'), 8000);
    expect(view.text('n1_cpu')).toBe('--');
    // Once a node was down, no state line claims the nodes are within limits; the monitor saw them too.
    const afterFirstDown = states().slice(states().findIndex((l) => / nodes down"$/.test(l)));
    expect(afterFirstDown.filter((l) => l.includes('within limits'))).toEqual([]);
    expect(view.conn.received).toContain('S 0 "3 of 3 nodes down"');
  });

  test('started before the bridge: NOT READY until it answers, then values; NOT READY again when it goes away', async () => {
    const httpPort = await freePort();
    harness = await startHarness({ bridge: false, sensord: { bridge: `http://127.0.0.1:${httpPort}` } });
    const h = harness;
    const view = await watch(h);
    await waitFor('bridge_ok in error', () => view.flags('bridge_ok') === BOOL_ERROR);
    expect(view.state).toBe(NOT_READY);
    expect(view.values.get('infotime')!.raw).toBe('nan');

    lateBridge = await startTestBridge({ httpPort, downAfter: 1 });
    const bridge = lateBridge;
    await report(bridge.ingestPort, 'n1 now cpu=42 disk=97');
    // Ready (no NOT READY bit); n1's disk error raises HW ERROR, as no node is marked critical (auto).
    await waitFor('n1 values, ready', () => view.text('n1_cpu') === '42.0%' && view.state === HW_ERROR);
    expect(view.flags('n1_disk')).toBe(536870913);
    expect(view.flags('bridge_ok')).toBe(6);
    const infotime = view.number('infotime')!;
    expect(Math.abs(infotime - Date.now() / 1000)).toBeLessThan(5);

    await bridge.stop();
    lateBridge = undefined;
    await waitFor(
      'NOT READY again',
      () => ((view.state ?? 0) & NOT_READY) !== 0 && view.flags('bridge_ok') === BOOL_ERROR,
    );
    // Old data ages out as stale: --, no flag, and no per-node alarm (the bridge is the problem, not n1).
    await waitFor('n1 stale', () => view.text('n1_disk') === '--', 6000);
    expect(view.flags('n1_disk')).toBe(1);
    expect(view.flags('n1_up')).toBe(6);
    expect(view.number('infotime')).toBeLessThanOrEqual(infotime + 5);
    const bridgeMessages = h.centrald.messages.filter((l) => l.includes('obsmon bridge')).map((l) => l.split(' ')[4]);
    expect(bridgeMessages).toEqual(['1', '4', '1']);
    expect(h.centrald.messages.filter((l) => l.includes('n1 sent no report'))).toEqual([]);
  });
});
