import { describe, expect, test } from 'vitest';
import { levelStatus, type Status } from '../../../protocol/status.ts';
import { AlertTracker, summaryText, worstType } from '../../../rts2-sensord/alert-tracker.ts';
import type { BridgeNode, KnownNode } from '../../../rts2-sensord/bridge/bridge-feed.ts';
import { deviceState } from '../../../rts2-sensord/device-state.ts';
import { DeviceLevels } from '../../../rts2-sensord/levels.ts';
import { nodeReadings, type NodeContext } from '../../../rts2-sensord/node-readings.ts';
import { nodeSummaryReading } from '../../../rts2-sensord/node-summary.ts';
import { OBSERVATORY_BITS } from '../../../rts2-sensord/protocol/state-bits.ts';
import type { Reading } from '../../../rts2-sensord/readings.ts';
import { worstReadings } from '../../../rts2-sensord/summary-readings.ts';

const NOW = 1_800_000_000_000;
const levels = new DeviceLevels({
  defaults: { disk: { warning: 80, error: 90 }, cpu: { warning: 85, error: 95 } },
  groups: { cameras: { disk: { warning: 90, error: 95 } } },
  nodes: {},
});
const ctx: NodeContext = { now: NOW, downAfterMs: 60_000, bridgeOk: true, levels };

function node(view: Partial<BridgeNode>, fetchedAt = NOW): KnownNode {
  return {
    fetchedAt,
    view: { node: 'n1', group: 'default', critical: false, up: true, lastSeenSecondsAgo: 2, metrics: [], ...view },
  };
}

const metric = (key: string, value: number, qualifier: string | null = null, status: 'ok' | 'stale' = 'ok') => ({
  key,
  qualifier,
  value,
  status,
});
const byName = (readings: Reading[]) => Object.fromEntries(readings.map((r) => [r.name, r]));

describe('nodeReadings', () => {
  test('an up node shows reachability, age and its cpu, memory, disk and network figures', () => {
    const r = byName(
      nodeReadings(
        node({
          metrics: [
            metric('cpu', 12),
            metric('cpu', 50, '0'),
            metric('disk', 81),
            metric('disk', 40, '/data'),
            metric('mem', 30),
            metric('rx', 1000),
            metric('rx', 9, 'eth0'),
            metric('load1', 3),
          ],
        }),
        ctx,
      ),
    );
    expect(Object.keys(r)).toEqual(['n1_up', 'n1_age', 'n1_cpu', 'n1_disk', 'n1_disk_data', 'n1_mem', 'n1_net_in']);
    expect(r['n1_up']).toMatchObject({ value: true, status: 'ok', type: 'bool' });
    // Figures are operator text (docs/rts2.md, "Units"); the number stays in `figure`.
    expect(r['n1_age']).toMatchObject({ type: 'string', value: '2 s', figure: 2 });
    expect(r['n1_disk']).toMatchObject({
      type: 'string',
      value: '81.0%',
      figure: 81,
      status: 'warning',
      description: '[%] n1 disk /',
    });
    expect(r['n1_disk']!.alert!.warning).toBe('n1 disk / 81.0% at or above warning level 80.0%');
    expect(r['n1_net_in']).toMatchObject({
      type: 'string',
      value: '1.00 kB/s',
      description: '[B/s] n1 network in',
      status: 'ok',
    });
    expect(r['n1_net_in']!.alert).toBeUndefined();
  });

  test('an agentless device shows its probe result and round trip, the round trip against its levels', () => {
    const probeLevels = new DeviceLevels({
      defaults: { probe_rtt: { warning: 0.5, error: 1.5 } },
      groups: {},
      nodes: {},
    });
    const r = byName(
      nodeReadings(node({ node: 'plc1', metrics: [metric('probe_up', 1), metric('probe_rtt', 0.8)] }), {
        ...ctx,
        levels: probeLevels,
      }),
    );
    expect(Object.keys(r)).toEqual(['plc1_up', 'plc1_age', 'plc1_probe_up', 'plc1_probe_rtt']);
    expect(r['plc1_probe_up']).toMatchObject({ value: 'up', figure: 1, status: 'ok' });
    expect(r['plc1_probe_rtt']).toMatchObject({ value: '0.8 s', figure: 0.8, status: 'warning' });
    expect(r['plc1_probe_rtt']!.description).toContain('plc1 probe round trip');
    expect(r['plc1_probe_rtt']!.alert!.warning).toBe('plc1 probe round trip 0.8 s at or above warning level 0.5 s');
  });

  test.each([
    { name: 'group levels apply', view: { group: 'cameras', metrics: [metric('disk', 85)] }, expected: 'ok' },
    { name: 'at the error level is error', view: { metrics: [metric('disk', 90)] }, expected: 'error' },
    {
      name: 'a series the bridge calls stale is nan and stale',
      view: { metrics: [metric('disk', 99, null, 'stale')] },
      expected: 'stale',
    },
    { name: 'a down node shows nan', view: { up: false, metrics: [metric('disk', 99)] }, expected: 'stale' },
  ])('$name', ({ view, expected }) => {
    const disk = byName(nodeReadings(node(view), ctx))['n1_disk']!;
    expect(disk.status).toBe(expected);
    if (expected === 'stale') expect(disk).toMatchObject({ value: '--', figure: Number.NaN });
  });

  test('a node silent for longer than down-after is down, warning or (critical) error', () => {
    const old = node({ metrics: [metric('cpu', 10)], lastSeenSecondsAgo: 5 }, NOW - 70_000);
    const r = byName(nodeReadings(old, ctx));
    expect(r['n1_up']).toMatchObject({ value: false, status: 'warning' });
    expect(r['n1_up']!.alert!.warning).toBe('n1 sent no report for 75 s');
    expect(r['n1_age']!.value).toBe('75 s');
    expect(r['n1_cpu']!.value).toBe('--');
    const critical = byName(nodeReadings({ ...old, view: { ...old.view, critical: true } }, ctx));
    expect(critical['n1_up']!.status).toBe('error');
  });

  test('while the bridge does not answer, nothing is flagged as down', () => {
    const old = node({ critical: true, lastSeenSecondsAgo: 5 }, NOW - 70_000);
    expect(byName(nodeReadings(old, { ...ctx, bridgeOk: false }))['n1_up']).toMatchObject({
      value: false,
      status: 'stale',
    });
  });

  test('after the bridge was out of sight, a node silent since then gets one down-after to report again', () => {
    // Last report 70 s ago; the device lost the bridge 50 s ago (node up then) and saw it again 10 s ago.
    const silent = node({ up: false, lastSeenSecondsAgo: 70 });
    const lastOutage = { from: NOW - 50_000, until: NOW - 10_000 };
    expect(byName(nodeReadings(silent, { ...ctx, lastOutage }))['n1_up']).toMatchObject({
      value: false,
      status: 'stale',
    });
    // Still silent a down-after after the bridge's return: down.
    expect(
      byName(nodeReadings(silent, { ...ctx, lastOutage: { from: NOW - 110_000, until: NOW - 60_000 } }))['n1_up'],
    ).toMatchObject({ status: 'warning' });
    // Already down (silent beyond down-after) when the device lost the bridge: judged as ever.
    expect(
      byName(nodeReadings(node({ up: false, lastSeenSecondsAgo: 200 }), { ...ctx, lastOutage }))['n1_up'],
    ).toMatchObject({ status: 'warning' });
  });

  test('a node that never reported has no age', () => {
    const r = byName(nodeReadings(node({ up: false, lastSeenSecondsAgo: null, critical: true }), ctx));
    expect(r['n1_age']!.value).toBe('--');
    expect(r['n1_up']).toMatchObject({ status: 'error' });
    expect(r['n1_up']!.alert!.error).toBe('n1 has never reported');
  });
});

describe('worstReadings', () => {
  test('most severe first, then highest value; empty is nan', () => {
    const readings = [
      ...nodeReadings(node({ node: 'a', group: 'cameras', metrics: [metric('disk', 89)] }), ctx),
      ...nodeReadings(node({ node: 'b', metrics: [metric('disk', 85, '/data'), metric('cpu', 20)] }), ctx),
      ...nodeReadings(node({ node: 'c', metrics: [metric('cpu', 30, null, 'stale')] }), ctx),
    ];
    const w = byName(worstReadings(readings));
    expect(w['worst_disk']).toMatchObject({ value: 85, status: 'warning' });
    expect(w['worst_disk_node']!.value).toBe('b:/data');
    expect(w['worst_cpu']).toMatchObject({ value: 20, status: 'ok' });
    expect(w['worst_mem']!.value).toBeNaN();
    expect(w['worst_mem']!.status).toBe('stale');
    expect(w['worst_mem_node']!.value).toBe('');
  });
});

describe('status carried from the bridge (docs/rts2.md, "Levels")', () => {
  // The bridge judged disk 85 at 90/95 (cameras): ok. Its status is taken as sent, never judged again.
  const carried = (levels: { warning: number; error: number } | null, status: Status) => ({
    ...metric('disk', 85),
    status,
    warning: levels?.warning ?? null,
    error: levels?.error ?? null,
  });
  const disk = (m: ReturnType<typeof carried>, group = 'cameras', l = levels) =>
    byName(nodeReadings(node({ group, metrics: [m] }), { ...ctx, levels: l }))['n1_disk']!;

  test('judged with the levels the device has: the bridge status is used as sent', () => {
    // A status no local judgment would give (85 is below 90) proves the device did not judge.
    expect(disk(carried({ warning: 90, error: 95 }, 'error')).status).toBe('error');
    expect(disk(carried({ warning: 90, error: 95 }, 'ok')).status).toBe('ok');
    expect(
      disk(carried(null, 'warning'), 'default', new DeviceLevels({ defaults: {}, groups: {}, nodes: {} })).status,
    ).toBe('warning');
  });

  test('levels edited on the device (not yet the bridge ones): the device judges with its own', () => {
    const edited = new DeviceLevels(
      structuredClone({ defaults: { disk: { warning: 80, error: 90 } }, groups: {}, nodes: {} }),
    );
    edited.setDefault('disk', { warning: 70, error: 84 });
    expect(disk(carried({ warning: 80, error: 90 }, 'warning'), 'default', edited).status).toBe('error');
  });

  test('a stale figure stays stale whatever the bridge judged before', () => {
    expect(disk(carried({ warning: 90, error: 95 }, 'stale')).status).toBe('stale');
  });
});

describe('AlertTracker', () => {
  const reading = (status: Reading['status']): Reading => ({
    id: 'node:n1:disk@',
    name: 'n1_disk',
    type: 'double',
    display: 'percents',
    description: '',
    value: 1,
    status,
    alert: { warning: 'W', error: 'E', ok: 'OK' },
  });

  test('one message per change; stale gaps are not changes; a start in trouble is announced', () => {
    const tracker = new AlertTracker();
    const sequence: Array<Reading['status']> = [
      'warning',
      'warning',
      'error',
      'stale',
      'error',
      'ok',
      'stale',
      'ok',
      'warning',
    ];
    const out = sequence.map((c) =>
      tracker
        .track([reading(c)])
        .map((a) => `${a.type}:${a.text}`)
        .join(),
    );
    expect(out).toEqual(['warning:W', '', 'error:E', '', '', 'info:OK', '', '', 'warning:W']);
  });

  test('readings without alert texts never produce messages', () => {
    const { alert: _none, ...plain } = reading('error');
    expect(new AlertTracker().track([plain])).toEqual([]);
  });
});

describe('deviceState', () => {
  const nodeReading = (critical: boolean, status: Reading['status']): Reading => ({
    id: 'x',
    name: 'x',
    type: 'double',
    display: 'percents',
    description: '',
    value: 1,
    status,
    node: { name: 'n1', critical },
    alert: { warning: 'w', error: 'n1 disk full', ok: 'ok' },
  });

  test.each([
    {
      name: 'all good',
      readings: [nodeReading(true, 'ok')],
      from: 'critical',
      problem: undefined,
      state: 0,
      text: 'the node is within limits',
    },
    {
      name: 'critical node in error',
      readings: [nodeReading(true, 'error')],
      from: 'critical',
      problem: undefined,
      state: 0x20000,
      text: 'n1 disk full; 1 node at error level',
    },
    {
      name: 'critical warning is not an error',
      readings: [nodeReading(true, 'warning')],
      from: 'critical',
      problem: undefined,
      state: 0,
      text: '1 node at warning level',
    },
    {
      name: 'non-critical error',
      readings: [nodeReading(false, 'error')],
      from: 'critical',
      problem: undefined,
      state: 0,
      text: '1 node at error level',
    },
    {
      name: 'non-critical error, from all',
      readings: [nodeReading(false, 'error')],
      from: 'all',
      problem: undefined,
      state: 0x20000,
      text: 'n1 disk full; 1 node at error level',
    },
    {
      name: 'from none',
      readings: [nodeReading(true, 'error')],
      from: 'none',
      problem: undefined,
      state: 0,
      text: '1 node at error level',
    },
    {
      name: 'bridge away',
      readings: [],
      from: 'critical',
      problem: 'bridge down',
      state: 0x40000,
      text: 'bridge down',
    },
    {
      name: 'both',
      readings: [nodeReading(true, 'error')],
      from: 'critical',
      problem: 'bridge down',
      state: 0x60000,
      text: 'n1 disk full; bridge down',
    },
  ] as const)('$name', ({ readings, from, problem, state, text }) => {
    const s = deviceState(readings, { problem }, from, 'none');
    expect(s).toEqual({ state, text });
    expect(s.state & OBSERVATORY_BITS).toBe(0);
  });

  // Seen against a real centrald: no inventory, every node down, and the text said "all nodes within limits".
  test('the text tells how many nodes are down, with or without inventory, whatever raises HW ERROR', () => {
    const fleet = (n: number, down: number, critical: boolean) =>
      Array.from({ length: n }, (_, i) =>
        nodeReadings(
          node({
            node: `n${i}`,
            critical,
            up: i >= down,
            lastSeenSecondsAgo: i >= down ? 2 : 500,
            metrics: [metric('disk', 10)],
          }),
          ctx,
        ),
      ).flat();
    expect(deviceState(fleet(39, 39, false), { problem: undefined }, 'auto', 'none')).toEqual({
      state: 0,
      text: '39 of 39 nodes down',
    });
    expect(deviceState(fleet(39, 3, false), { problem: undefined }, 'auto', 'none').text).toBe('3 of 39 nodes down');
    expect(deviceState(fleet(39, 3, true), { problem: undefined }, 'auto', 'none')).toEqual({
      state: 0x20000,
      text: 'n0 sent no report for 500 s; 3 of 39 nodes down',
    });
    expect(deviceState(fleet(39, 0, false), { problem: undefined }, 'auto', 'none').text).toBe(
      'all 39 nodes within limits',
    );
    expect(deviceState(fleet(2, 1, false), { problem: undefined }, 'none', 'none').text).toBe('1 of 2 nodes down');
    expect(deviceState([], { problem: undefined }, 'auto', 'none').text).toBe('no nodes shown yet');
    for (const text of [fleet(39, 1, false), fleet(3, 3, true)].map(
      (r) => deviceState(r, { problem: undefined }, 'auto', 'none').text,
    )) {
      expect(text).not.toMatch(/within limits/);
    }
  });

  test('only --observatory-veto bad-weather adds BAD_WEATHER, and only with HW ERROR', () => {
    expect(deviceState([nodeReading(true, 'error')], { problem: undefined }, 'critical', 'bad-weather').state).toBe(
      0x80020000,
    );
    expect(deviceState([nodeReading(true, 'ok')], { problem: 'x' }, 'critical', 'bad-weather').state).toBe(0x40000);
  });
});

test('DeviceLevels: an edited default acts like editing defaults in the file', () => {
  const l = new DeviceLevels(
    structuredClone({
      defaults: { disk: { warning: 80, error: 90 } },
      groups: { cameras: { disk: { warning: 90, error: 95 } } },
      nodes: {},
    }),
  );
  l.setDefault('disk', { warning: 70, error: 90 });
  expect(levelStatus(l.levels('n1', 'default', 'disk'), 75)).toBe('warning');
  expect(levelStatus(l.levels('c1', 'cameras', 'disk'), 75)).toBe('ok');
  expect(l.defaultLevels('disk')).toEqual({ warning: 70, error: 90 });
});

describe('burst summaries (docs/rts2.md, "Messages")', () => {
  const alert = (type: 'error' | 'warning' | 'info') => ({ type, text: type });
  test.each([
    {
      name: 'all errors',
      alerts: [alert('error'), alert('error')],
      type: 'error',
      text: '2 more changes (2 to error); ',
    },
    {
      name: 'one error among warnings',
      alerts: [alert('warning'), alert('error'), alert('info')],
      type: 'error',
      text: '3 more changes (1 to error, 1 to warning, 1 back to normal); ',
    },
    {
      name: 'warnings and recoveries',
      alerts: [alert('info'), alert('warning')],
      type: 'warning',
      text: '2 more changes (1 to warning, 1 back to normal); ',
    },
    { name: 'only recoveries', alerts: [alert('info')], type: 'info', text: '1 more changes (1 back to normal); ' },
  ] as const)('$name: typed $type', ({ alerts, type, text }) => {
    expect(worstType(alerts)).toBe(type);
    expect(summaryText(alerts).startsWith(text)).toBe(true);
  });
});

describe('nodeSummaryReading (--node-values summary)', () => {
  const summary = (view: Partial<BridgeNode>, fetchedAt = NOW) => {
    const k = node(view, fetchedAt);
    return nodeSummaryReading({ node: k.view.node, alias: 'n1', group: k.view.group, readings: nodeReadings(k, ctx) });
  };

  test('one line with cpu, memory and the fullest disk, flagged by the worst figure', () => {
    const r = summary({
      metrics: [
        metric('cpu', 12.4),
        metric('mem', 40),
        metric('disk', 50),
        metric('disk', 91, '/data'),
        metric('rx', 5),
      ],
    });
    expect(r).toMatchObject({
      name: 'n1',
      type: 'string',
      value: 'cpu 12%  mem 40%  disk 91% /data',
      status: 'error',
      id: 'node:n1:summary',
    });
    expect(r.description).toBe(
      '[node] n1 (group default): cpu, memory, fullest disk; --node-values full shows every figure',
    );
    expect(summary({ metrics: [metric('cpu', 1), metric('disk', 10)] })).toMatchObject({
      value: 'cpu 1%  mem --  disk 10%',
      status: 'ok',
    });
    // A warning disk beats a fuller disk that is within a higher node level: severity first.
    expect(summary({ metrics: [metric('disk', 85), metric('disk', 79, '/a')] }).value).toBe('cpu --  mem --  disk 85%');
  });

  test('a down node says why, flagged like its _up; no data says --', () => {
    expect(summary({ metrics: [metric('cpu', 10)], lastSeenSecondsAgo: 5 }, NOW - 70_000)).toMatchObject({
      value: 'down: sent no report for 75 s',
      status: 'warning',
    });
    expect(summary({ up: false, lastSeenSecondsAgo: null, critical: true })).toMatchObject({
      value: 'down: has never reported',
      status: 'error',
    });
    const k = node({ metrics: [metric('cpu', 10)], lastSeenSecondsAgo: 5 }, NOW - 70_000);
    const away = nodeSummaryReading({
      node: 'n1',
      alias: 'n1',
      group: 'default',
      readings: nodeReadings(k, { ...ctx, bridgeOk: false }),
    });
    expect(away).toMatchObject({ value: '--', status: 'stale' });
  });
});

describe('a node in a maintenance window (the bridge node view says so)', () => {
  const maintenance = { until: NOW / 1000 + 3600, reason: 'CCD swap' };

  test('its readings carry no warning or error, so no flags, no messages and no HW ERROR; the text counts it', () => {
    const down = nodeReadings(
      node({
        node: 'dome',
        critical: true,
        up: false,
        lastSeenSecondsAgo: 500,
        maintenance,
        metrics: [metric('disk', 99)],
      }),
      ctx,
    );
    const full = nodeReadings(node({ node: 'ccd01', critical: true, maintenance, metrics: [metric('disk', 99)] }), ctx);
    const fine = nodeReadings(node({ node: 'ok1', metrics: [metric('disk', 10)] }), ctx);
    for (const r of [...down, ...full]) expect(r.status, r.name).toBe('stale');
    // Without the window the same nodes raise HW ERROR (the test fails on code that ignores the field).
    const without = nodeReadings(
      node({ node: 'dome', critical: true, up: false, lastSeenSecondsAgo: 500, metrics: [metric('disk', 99)] }),
      ctx,
    );
    expect(deviceState(without, { problem: undefined }, 'auto', 'none').state).toBe(0x20000);
    expect(deviceState([...down, ...full, ...fine], { problem: undefined }, 'auto', 'none')).toEqual({
      state: 0,
      text: '1 node within limits, 2 nodes in maintenance',
    });
    expect(deviceState([...down, ...full], { problem: undefined }, 'all', 'none')).toEqual({
      state: 0,
      text: '2 nodes in maintenance',
    });
    const other = nodeReadings(node({ node: 'n2', up: false, lastSeenSecondsAgo: 500 }), ctx);
    expect(deviceState([...down, ...other], { problem: undefined }, 'none', 'none').text).toBe(
      '1 of 1 node down, 1 node in maintenance',
    );
  });

  test('--node-values summary reads "maintenance until … UTC: reason", without flags', () => {
    const readings = nodeReadings(
      node({ node: 'dome', critical: true, up: false, lastSeenSecondsAgo: 500, maintenance }),
      ctx,
    );
    const s = nodeSummaryReading({ node: 'dome', alias: 'dome', group: 'default', readings });
    expect(s).toMatchObject({
      value: `maintenance until ${new Date((NOW / 1000 + 3600) * 1000).toISOString().slice(0, 16).replace('T', ' ')} UTC: CCD swap`,
      status: 'stale',
    });
  });

  test('a bridge without the field (older) and a null window change nothing', () => {
    const r = nodeReadings(
      node({ node: 'dome', critical: true, up: false, lastSeenSecondsAgo: 500, maintenance: null }),
      ctx,
    );
    expect(deviceState(r, { problem: undefined }, 'auto', 'none').state).toBe(0x20000);
  });
});
