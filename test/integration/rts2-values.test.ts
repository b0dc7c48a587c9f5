import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, test } from 'vitest';
import { BUILTIN_THRESHOLDS_PATH } from '../../config/thresholds.ts';
import type { SensordOptions } from '../../rts2-sensord/options.ts';
import { startHarness, tempFile, type Harness } from '../helpers/rts2-peer/harness.ts';
import { Monitor, type DeviceView } from '../helpers/rts2-peer/monitor.ts';
import { waitFor } from '../helpers/wait-for.ts';

const INVENTORY = 'nodes:\n  - { name: cam1, group: cameras, critical: true }\n  - { name: web1 }\n';
// Flags (docs/rts2-wire.md §5): per-node figures are strings (docs/rts2.md, "Units") good / warning /
// error; the device-wide worst values double %.
const PERCENT = 1;
const PERCENT_WARNING = 268435457;
const PERCENT_ERROR = 536870913;
const WORST_PERCENT_ERROR = 537198596;

let harness: Harness | undefined;
let monitor: Monitor | undefined;

afterEach(async () => {
  monitor?.close();
  monitor = undefined;
  await harness?.stop();
  harness = undefined;
});

async function setUp(sensord: Partial<SensordOptions> = {}): Promise<{ h: Harness; view: DeviceView; m: Monitor }> {
  const h = await startHarness({ bridge: { inventory: tempFile('inventory.yaml', INVENTORY) }, sensord });
  harness = h;
  await waitFor('registration', () => h.centrald.device('OBSMON')?.received.some((l) => l.startsWith('S ')));
  const m = await Monitor.login(h.centrald.port);
  monitor = m;
  await waitFor('the device announced', () => m.devices.has('OBSMON'));
  const { view, auth } = await m.open('OBSMON');
  expect(auth?.code).toBe(0);
  return { h, view, m };
}

/** Lines the device sent centrald, from index `from`. */
const sent = (h: Harness, from = 0) => h.centrald.device('OBSMON')!.received.slice(from);

describe('rts2-sensord values from the bridge', () => {
  test('a disk crossing its levels turns yellow, then red with HW ERROR, then back, with one M line each time', async () => {
    const { h, view, m } = await setUp();
    await h.report('cam1 now cpu=10 mem=20 disk=40 disk@/data=50 rx=1500 tx=2500000', 'web1 now cpu=5 mem=5 disk=10');
    await waitFor('cam1 values', () => view.text('cam1_disk_data') === '50.0%' && view.text('web1_disk') === '10.0%');
    expect(view.flags('cam1_disk_data')).toBe(PERCENT);
    expect(view.values.get('cam1_disk_data')!.description).toBe('[%] cam1 disk /data');
    // Rates in decimal units per second, which no RTS2 display type can show (docs/rts2.md, "Units").
    expect(view.flags('cam1_net_out')).toBe(1);
    expect(view.text('cam1_net_out')).toBe('2.50 MB/s');
    expect(view.text('cam1_net_in')).toBe('1.50 kB/s');
    expect(view.text('cam1_cpu')).toBe('10.0%');
    expect(view.text('cam1_age')).toMatch(/^\d+ s$/);
    expect(view.flags('cam1_up')).toBe(6);
    expect(view.values.get('cam1_up')!.raw).toBe('1');
    await waitFor('state 0', () => view.state === 0);
    const from = sent(h).length;

    // cam1 is in group cameras: disk warning 90, error 95 (config/thresholds.yaml).
    await h.report('cam1 now disk@/data=91');
    await waitFor('WARNING flag', () => view.flags('cam1_disk_data') === PERCENT_WARNING);
    await h.report('cam1 now disk@/data=96');
    await waitFor(
      'ERROR flag and HW ERROR',
      () => view.flags('cam1_disk_data') === PERCENT_ERROR && view.state === 131072,
    );
    expect(view.values.get('worst_disk_node')!.raw).toBe('"cam1:/data"');
    expect(view.flags('worst_disk')).toBe(WORST_PERCENT_ERROR);
    expect(view.number('worst_disk')).toBe(96);
    await h.report('cam1 now disk@/data=50');
    await waitFor('good again, state 0', () => view.flags('cam1_disk_data') === PERCENT && view.state === 0);

    const lines = sent(h, from);
    const at = (line: string) => lines.indexOf(line);
    // Each flag change is an E with the new flags immediately followed by the V (§8.3).
    expect(lines[at('E 268435457 "cam1_disk_data" "[%] cam1 disk /data" ') + 1]).toBe('V cam1_disk_data "91.0%"');
    expect(lines[at('E 536870913 "cam1_disk_data" "[%] cam1 disk /data" ') + 1]).toBe('V cam1_disk_data "96.0%"');
    expect(lines[at('E 1 "cam1_disk_data" "[%] cam1 disk /data" ') + 1]).toBe('V cam1_disk_data "50.0%"');
    // The state text follows the nodes, not only the state word (docs/rts2.md, "State").
    expect(lines.filter((l) => l.startsWith('S '))).toEqual([
      'S 0 "1 node at warning level"',
      'S 131072 "cam1 disk /data 96.0% at or above error level 95.0%; 1 node at error level"',
      'S 0 "all 2 nodes within limits"',
    ]);
    const messages = lines.filter((l) => l.startsWith('M ')).map((l) => l.replace(/^M \d+ \d+ /, ''));
    expect(messages).toEqual([
      'OBSMON 2 cam1 disk /data 91.0% at or above warning level 90.0%',
      'OBSMON 1 cam1 disk /data 96.0% at or above error level 95.0%',
      'OBSMON 4 cam1 disk /data back to 50.0%, below warning level 90.0%',
    ]);
    // centrald forwarded each of them to the monitor (message_mask), as to every rts2-mon.
    await waitFor(
      'messages at the monitor',
      () => m.messages.filter((l) => l.includes('cam1 disk /data')).length === 3,
    );
    expect(h.centrald.protocolErrors).toEqual([]);
    expect(view.problems).toEqual([]);
  });

  test('a non-critical node in error is red but sets HW ERROR only with --hw-error-from all', async () => {
    const { h, view } = await setUp();
    await h.report('web1 now disk=95');
    await waitFor('web1 disk red', () => view.flags('web1_disk') === PERCENT_ERROR);
    await h.report('cam1 now disk=10');
    await waitFor('cam1 up', () => view.values.get('cam1_up')?.raw === '1');
    expect(view.state).toBe(0);
    await harness!.stop();
    harness = undefined;

    const all = await setUp({ hwErrorFrom: 'all' });
    await all.h.report('web1 now disk=95', 'cam1 now disk=10');
    await waitFor('HW ERROR from web1', () => all.view.state === 131072);
  });

  test('values of a node that appears at runtime are appended, E before V, to monitors and centrald', async () => {
    const { h, view } = await setUp();
    await h.report('cam1 now cpu=1', 'web1 now cpu=1');
    await waitFor('cam1 cpu', () => view.text('cam1_cpu') === '1.0%');
    const before = [...view.values.keys()];
    await h.report('late7 now cpu=33.5 mem=40 disk=12 disk@/scratch=3');
    await waitFor('late7 values', () => view.text('late7_disk_scratch') === '3.0%');
    const after = [...view.values.keys()];
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after.slice(before.length)).toEqual([
      'late7_up',
      'late7_age',
      'late7_cpu',
      'late7_disk',
      'late7_disk_scratch',
      'late7_mem',
    ]);
    expect(view.problems).toEqual([]);
    expect(h.sensord.table.get('nodes')!.value).toBe(3);
  });

  test('an edited level re-flags values at once and stays local unless --threshold-writes file', async () => {
    const { h, view } = await setUp();
    await h.report('web1 now disk=75', 'cam1 now disk=10');
    await waitFor('web1 disk', () => view.text('web1_disk') === '75.0%');
    expect(view.flags('web1_disk')).toBe(PERCENT);
    const answer = await view.command('X disk_warn = "70"');
    expect(answer.code).toBe(0);
    // The flag change reaches the commanding monitor before its +0 OK.
    expect(answer.lines).toContain('E 268435457 "web1_disk" "[%] web1 disk /" ');
    // cam1's group level (90) still wins over the default.
    await h.report('cam1 now disk=80');
    await waitFor('cam1 disk 80', () => view.text('cam1_disk') === '80.0%');
    expect(view.flags('cam1_disk')).toBe(PERCENT);
    expect(readFileSync(BUILTIN_THRESHOLDS_PATH, 'utf8')).toContain('disk: { warning: 80, error: 90 }');
    await harness!.stop();
    harness = undefined;

    const file = tempFile('thresholds.yaml', readFileSync(BUILTIN_THRESHOLDS_PATH, 'utf8'));
    const saving = await setUp({ thresholds: file, thresholdWrites: 'file' });
    expect((await saving.view.command('X cpu_err = 97')).code).toBe(0);
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('cpu: { warning: 85, error: 97 }');
    expect(text).toContain('# The LAMOST monitor turned a disk bar red at 80 %.');
  });

  // Seen against a real rts2-mon: 39 nodes gave 213 values in one flat list.
  test('--node-values summary (the default) shows one coloured line per node, messages and state unchanged', async () => {
    const { h, view } = await setUp({ nodeValues: 'summary' });
    await h.report('cam1 now cpu=10 mem=20 disk=40 disk@/data=96 rx=1500');
    await waitFor('cam1 line', () => view.text('cam1') === 'cpu 10%  mem 20%  disk 96% /data');
    // Red like cam1_disk_data would be, and HW ERROR as in full mode; web1 never reported: yellow.
    expect(view.flags('cam1')).toBe(PERCENT_ERROR);
    expect(view.values.get('cam1')!.description).toBe(
      '[node] cam1 (group cameras): cpu, memory, fullest disk; --node-values full shows every figure',
    );
    await waitFor('HW ERROR', () => view.state === 131072);
    expect(view.text('web1')).toBe('down: has never reported');
    expect(view.flags('web1')).toBe(PERCENT_WARNING);
    // Two nodes, two values: no per-figure values; the device-wide ones stay.
    expect([...view.values.keys()].filter((n) => n.startsWith('cam1') || n.startsWith('web1'))).toEqual([
      'cam1',
      'web1',
    ]);
    expect(view.number('worst_disk')).toBe(96);
    expect(
      h.centrald.messages.some((l) => l.endsWith('OBSMON 1 cam1 disk /data 96.0% at or above error level 95.0%')),
    ).toBe(true);
    await h.report('cam1 now disk@/data=50', 'web1 now cpu=1');
    await waitFor(
      'good again',
      () => view.flags('cam1') === PERCENT && view.flags('web1') === PERCENT && view.state === 0,
    );
    expect(view.problems).toEqual([]);
    expect(h.centrald.protocolErrors).toEqual([]);
  });

  test('--groups shows only the nodes of those groups', async () => {
    const { h, view } = await setUp({ groups: ['cameras'] });
    await h.report('cam1 now cpu=1', 'web1 now cpu=2', 'other now cpu=3');
    await waitFor('cam1 cpu', () => view.text('cam1_cpu') === '1.0%');
    await waitFor('the next poll', () => h.sensord.table.get('nodes')!.value === 1);
    expect([...view.values.keys()].filter((k) => k.startsWith('web1') || k.startsWith('other'))).toEqual([]);
  });
});
