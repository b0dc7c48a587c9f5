import { afterEach, describe, expect, test } from 'vitest';
import { startHarness, type Harness } from '../helpers/rts2-peer/harness.ts';
import { Monitor } from '../helpers/rts2-peer/monitor.ts';
import { createLogger } from '../../lib/logger.ts';
import { MAX_NODE_VALUE_NAME } from '../../rts2-sensord/value-names.ts';
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
    // `a.b-c:d` is not an RTS2 name: its alias is a prefix plus a tag of the whole name, so it can
    // never take `a_b_c_d` from the node of that name, whichever reports first (docs/rts2.md, "Names").
    const tagged = names.filter((n) => /^a_b_c_d_[0-9a-z]{4}_cpu$/.test(n));
    expect(tagged).toHaveLength(1);
    expect(view.text('a_b_c_d_cpu')).toBe('2.0%');
    expect(view.text(tagged[0]!)).toBe('1.0%');
    expect(view.values.get(tagged[0]!)!.description).toBe('[%] a.b-c:d cpu');
    // The node `worst` would make worst_cpu, the device's own: it gets a tag, one for all its values.
    expect(view.values.get('worst_cpu')!.description).toBe('[%] highest CPU usage of all shown nodes');
    const worstNode = names.filter((n) => view.values.get(n)!.description.startsWith('[bool] worst '));
    expect(worstNode).toHaveLength(1);
    const alias = worstNode[0]!.replace(/_up$/, '');
    expect(alias).toMatch(/^worst_[0-9a-z]{4}$/);
    expect(names.filter((n) => n.startsWith(`${alias}_`))).toEqual([`${alias}_up`, `${alias}_age`, `${alias}_cpu`]);
    expect(view.text(`${alias}_cpu`)).toBe('3.0%');
    const quoted = names.filter((n) => n.startsWith('q_disk_x_y')).find((n) => view.text(n) === '4.0%');
    expect(quoted).toBeDefined();
    // A `"` cannot appear in an RTS2 string: the description shows it as `'`.
    expect(view.values.get(quoted!)!.description).toBe("[%] q disk /x'y");
    expect(
      names
        .filter((n) => n.startsWith('q_disk_x_y'))
        .map((n) => view.text(n))
        .sort(),
    ).toEqual(['4.0%', '5.0%']);
    expect(view.text('q_disk_C')).toBe('6.0%');
    expect(view.text('q_disk_0')).toBe('7.0%');
    expect(view.text('q_disk_root')).toBe('8.0%');
    expect(names.filter((n) => /^node_[0-9a-z]{4}_cpu$/.test(n)).map((n) => view.text(n))).toEqual(['9.0%']);
    expect(view.problems).toEqual([]);
    expect(h.centrald.protocolErrors).toEqual([]);
  });

  // Seen against a real rts2-mon: `ccd01_control_observatory_example_org_disk_data` widened the name
  // column until no value was visible at 80 columns, and one node's values carried different tags.
  test('long node names get short aliases, one per node, the same after a restart and in any order', async () => {
    const nodes = [
      'ccd01-control.observatory.example.org',
      'ccd02-control.observatory.example.org',
      'spectrograph-control-01.observatory.example.org',
      'spectrograph-control-02.observatory.example.org',
      'cam1',
    ];
    const lines = nodes.map(
      (n) => `${n} now cpu=5 mem=6 disk=7 disk@/data=8 disk@/var/lib/docker/overlay2=9 rx=1000 tx=2000`,
    );
    const seen: Array<Map<string, string>> = [];
    const log: string[] = [];
    for (const order of [lines, [...lines].reverse()]) {
      harness = await startHarness({ log: createLogger('test', 'info', (l) => log.push(l)) });
      const h = harness;
      await waitFor('registration', () => h.centrald.device('OBSMON')?.received.some((l) => l.startsWith('S ')));
      monitor = await Monitor.login(h.centrald.port);
      const m = monitor;
      await waitFor('the device announced', () => m.devices.has('OBSMON'));
      const { view } = await m.open('OBSMON');
      for (const line of order) await h.report(line);
      await waitFor('every node', () => h.sensord.table.get('nodes')!.value === nodes.length);
      await waitFor('every value at the monitor', () => view.values.size === h.sensord.table.size);
      // value name -> description, for the node values only.
      const names = new Map(
        [...view.values]
          .filter(([, v]) => / (ccd|spectro|cam1)/.test(v.description))
          .map(([n, v]) => [n, v.description]),
      );
      expect(names.size).toBe(nodes.length * 9);
      for (const name of names.keys()) expect(name.length).toBeLessThanOrEqual(MAX_NODE_VALUE_NAME);
      for (const node of nodes) {
        // One alias per node: every value of the node starts with the alias of its `_up`.
        const own = [...names].filter(([, d]) => d.includes(` ${node} `)).map(([n]) => n);
        const upName = own.find((n) => n.endsWith('_up'))!;
        const alias = upName.replace(/_up$/, '');
        expect(own).toHaveLength(9);
        for (const n of own) expect(n.startsWith(`${alias}_`)).toBe(true);
        if (node === 'cam1') expect(alias).toBe('cam1');
        else expect(alias).toMatch(/^(ccd0[12]_con|spectrogr)_[0-9a-z]{4}$/);
      }
      expect(view.text(`${[...names.keys()].find((n) => n.startsWith('ccd01_con_'))!.slice(0, 14)}_net_out`)).toBe(
        '2.00 kB/s',
      );
      expect(view.problems).toEqual([]);
      seen.push(names);
      monitor.close();
      monitor = undefined;
      await h.stop();
      harness = undefined;
    }
    expect([...seen[1]!].sort()).toEqual([...seen[0]!].sort());
    // The mapping is logged once per aliased node and run (cam1 is its own alias).
    const mapped = log.filter((l) => l.includes(' is shown as '));
    expect(mapped).toHaveLength(8);
    expect(
      mapped.some((l) =>
        /: Node "ccd01-control\.observatory\.example\.org" is shown as ccd01_con_[0-9a-z]{4} \(docs\/rts2\.md, "Names"\)$/.test(
          l,
        ),
      ),
    ).toBe(true);
  });

  test('a flood of invented nodes stops at --max-nodes, and a burst of crossings is summarised', async () => {
    harness = await startHarness({ sensord: { maxNodes: 25 } });
    const h = harness;
    await waitFor('registration', () => h.centrald.device('OBSMON')?.received.some((l) => l.startsWith('S ')));
    await h.report(...Array.from({ length: 40 }, (_, i) => `flood${i} now disk=99`));
    await waitFor(
      '25 nodes shown, 15 ignored',
      () => h.sensord.table.get('nodes')!.value === 25 && h.sensord.table.get('nodes_ignored')!.value === 15,
    );
    await waitFor('messages', () => h.centrald.messages.length >= 20);
    const floodMessages = h.centrald.messages.filter((l) => / flood\d+ disk | more changes /.test(l));
    expect(floodMessages.length).toBeLessThanOrEqual(25);
    // Every one of them went to error (99 % is above every disk level): so is the summary, type 1.
    const summaries = floodMessages.filter((l) => / more changes /.test(l)).map((l) => l.replace(/^M \d+ \d+ /, ''));
    expect(summaries.length).toBeGreaterThan(0);
    for (const line of summaries)
      expect(line).toMatch(
        /^OBSMON 1 (\d+) more changes \(\1 to error\); see rts2-mon values or the obsmon status page$/,
      );
    expect(h.sensord.table.has('flood39_disk')).toBe(false);
  });
});
