import { afterEach, describe, expect, test } from 'vitest';
import { startHarness, type Harness } from '../helpers/rts2-peer/harness.ts';
import { Monitor } from '../helpers/rts2-peer/monitor.ts';
import { waitFor } from '../helpers/wait-for.ts';

let harness: Harness | undefined;
let monitor: Monitor | undefined;

afterEach(async () => {
  monitor?.close();
  await harness?.stop();
  harness = undefined;
});

describe('rts2-sensord with hostile names from the bridge', () => {
  test('node names and mounts are sanitised to RTS2 value names, unique, and never break a line', async () => {
    harness = await startHarness({ sensord: { maxNodes: 8 } });
    const h = harness;
    await waitFor('registration', () => h.centrald.device('OBSMON')?.received.some((l) => l.startsWith('S ')));
    monitor = await Monitor.login(h.centrald.port);
    const m = monitor;
    await waitFor('the device announced', () => m.devices.has('OBSMON'));
    const { view } = await m.open('OBSMON');
    // The bridge accepts these (protocol v1 node and qualifier patterns); RTS2 names cannot hold them.
    await h.report(
      'a.b-c:d now cpu=1',
      'a_b_c_d now cpu=2',
      'worst now cpu=3',
      'q now disk@/x"y=4 disk@/x_y=5 disk@C:=6 disk@/[0]=7 disk@/_=8',
      '_ now cpu=9',
    );
    await waitFor('all five nodes', () => h.sensord.table.get('nodes')!.value === 5);
    await waitFor('every value at the monitor', () => view.values.size === h.sensord.table.size);
    const names = [...view.values.keys()];
    for (const name of names) expect(name).toMatch(/^[A-Za-z0-9_]{1,80}$/);
    expect(new Set(names).size).toBe(names.length);
    // `a.b-c:d` and `a_b_c_d` both want a_b_c_d_cpu: the first (by name) keeps it, the other gets a
    // stable tag. The device's own worst_cpu keeps its name against the node `worst`.
    const tagged = names.filter((n) => /^a_b_c_d_cpu_[0-9a-z]{4}$/.test(n));
    expect(tagged).toHaveLength(1);
    expect([view.number('a_b_c_d_cpu'), view.number(tagged[0]!)].sort()).toEqual([1, 2]);
    expect(view.values.get(tagged[0]!)!.description).toMatch(/^\[%\] a(\.b-c:d|_b_c_d) cpu$/);
    expect(view.values.get('worst_cpu')!.description).toBe('[%] highest CPU usage of all shown nodes');
    expect(names.filter((n) => /^worst_cpu_[0-9a-z]{4}$/.test(n) && n !== 'worst_cpu_node').map((n) => view.number(n))).toEqual([3]);
    const quoted = names.filter((n) => n.startsWith('q_disk_x_y')).find((n) => view.number(n) === 4);
    expect(quoted).toBeDefined();
    // A `"` cannot appear in an RTS2 string: the description shows it as `'`.
    expect(view.values.get(quoted!)!.description).toBe("[%] q disk /x'y");
    expect(names.filter((n) => n.startsWith('q_disk_x_y')).map((n) => view.number(n)).sort()).toEqual([4, 5]);
    expect(view.number('q_disk_C')).toBe(6);
    expect(view.number('q_disk_0')).toBe(7);
    expect(view.number('q_disk_root')).toBe(8);
    expect(view.number('node_cpu')).toBe(9);
    expect(view.problems).toEqual([]);
    expect(h.centrald.protocolErrors).toEqual([]);
  });

  test('a flood of invented nodes stops at --max-nodes, and a burst of crossings is summarised', async () => {
    harness = await startHarness({ sensord: { maxNodes: 25 } });
    const h = harness;
    await waitFor('registration', () => h.centrald.device('OBSMON')?.received.some((l) => l.startsWith('S ')));
    await h.report(...Array.from({ length: 40 }, (_, i) => `flood${i} now disk=99`));
    await waitFor('25 nodes shown, 15 ignored', () => h.sensord.table.get('nodes')!.value === 25 && h.sensord.table.get('nodes_ignored')!.value === 15);
    await waitFor('messages', () => h.centrald.messages.length >= 20);
    const floodMessages = h.centrald.messages.filter((l) => / flood\d+ disk | more changes;/.test(l));
    expect(floodMessages.length).toBeLessThanOrEqual(25);
    expect(floodMessages.some((l) => / OBSMON 2 \d+ more changes; /.test(l))).toBe(true);
    expect(h.sensord.table.has('flood39_disk')).toBe(false);
  });
});
