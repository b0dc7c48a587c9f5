import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, test } from 'vitest';
import { ConfigError } from '../../../config/config-error.ts';
import { renderNodeExposition } from '../../../bridge/expose/node-exposition.ts';
import { readInventoryFile } from '../../../bridge/state/inventory.ts';
import { MAX_RUNTIME_WINDOWS, MaintenanceSchedule } from '../../../bridge/state/maintenance-schedule.ts';
import {
  describeWindow,
  maintenanceWindowSchema,
  MAX_REASON_LENGTH,
  windowOpenUntil,
  type MaintenanceWindow,
} from '../../../bridge/state/maintenance-windows.ts';
import { NodeTable } from '../../../bridge/state/node-table.ts';
import { viewNode } from '../../../bridge/state/node-view.ts';
import { loadThresholdsConfig, Thresholds } from '../../../config/thresholds.ts';

const dir = mkdtempSync(join(tmpdir(), 'obsmon-maintenance-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
function inventory(text: string) {
  const path = join(dir, `inventory-${++files}.yaml`);
  writeFileSync(path, text);
  return { path, load: () => readInventoryFile(path) };
}
const at = (iso: string) => Date.parse(iso);
const win = (spec: unknown): MaintenanceWindow => maintenanceWindowSchema.parse(spec);

describe('maintenance windows in the inventory file', () => {
  test('one-off and daily windows, by node or group', () => {
    const { load } = inventory(
      [
        'nodes: [ccd01, { name: dome-plc, group: dome }]',
        'maintenance:',
        '  - { node: ccd01, from: "2026-12-01T08:00:00Z", until: "2026-12-01T12:00:00Z", reason: CCD swap }',
        '  - { node: ccd01, until: 1796198400 }',
        '  - { group: dome, daily: "08:00-17:00", time_zone: America/Santiago, weekdays: [mon, tue, wed, thu, fri], reason: daytime engineering }',
        '',
      ].join('\n'),
    );
    const { nodes, maintenance } = load();
    expect(nodes.size).toBe(2);
    expect(maintenance.map(describeWindow)).toEqual([
      { node: 'ccd01', from: '2026-12-01T08:00:00.000Z', until: '2026-12-01T12:00:00.000Z', reason: 'CCD swap' },
      { node: 'ccd01', until: new Date(1796198400 * 1000).toISOString(), reason: '' },
      {
        group: 'dome',
        daily: '08:00-17:00',
        time_zone: 'America/Santiago',
        weekdays: ['mon', 'tue', 'wed', 'thu', 'fri'],
        reason: 'daytime engineering',
      },
    ]);
  });

  test.each([
    [
      'neither node nor group',
      'maintenance:\n  - { until: 1796198400 }\n',
      'FILE:2: maintenance[0]: expected exactly one of node: or group:',
    ],
    [
      'both node and group',
      'maintenance:\n  - { node: a, group: b, until: 1796198400 }\n',
      'FILE:2: maintenance[0]: expected exactly one of node: or group:',
    ],
    [
      'no until nor daily',
      'maintenance:\n  - { node: a, from: 1796198400 }\n',
      'FILE:2: maintenance[0]: expected until: (a one-off window) or daily: "HH:MM-HH:MM"',
    ],
    [
      'a time without zone',
      'maintenance:\n  - node: a\n    until: "2026-12-01T12:00:00"\n',
      'FILE:3: maintenance[0].until: expected until as ISO 8601 with a zone (2026-12-01T08:00:00Z) or unix seconds, got "2026-12-01T12:00:00"',
    ],
    [
      'until before from',
      'maintenance:\n  - node: a\n    from: 200\n    until: 100\n',
      'FILE:4: maintenance[0].until: until must be after from',
    ],
    [
      'a bad daily range',
      'maintenance:\n  - node: a\n    daily: "8-17"\n',
      'FILE:3: maintenance[0].daily: expected daily: "HH:MM-HH:MM" (24-hour), got "8-17"',
    ],
    [
      'an unknown zone',
      'maintenance:\n  - node: a\n    daily: "08:00-17:00"\n    time_zone: Mars/Olympus\n',
      'FILE:4: maintenance[0].time_zone: expected an IANA time zone such as UTC or America/Santiago, got "Mars/Olympus"',
    ],
    [
      'a weekday typo',
      'maintenance:\n  - node: a\n    daily: "08:00-17:00"\n    weekdays: [monday]\n',
      'FILE:4: maintenance[0].weekdays[0]: expected weekdays among sun, mon, tue, wed, thu, fri, sat',
    ],
    [
      'weekdays on a one-off',
      'maintenance:\n  - node: a\n    until: 100\n    weekdays: [mon]\n',
      'FILE:4: maintenance[0].weekdays: time_zone and weekdays belong to a daily window',
    ],
    [
      'an unknown key',
      'maintenance:\n  - node: a\n    until: 100\n    untill: 200\n',
      'FILE:4: maintenance[0]: unknown key "untill"',
    ],
    [
      'a reason too long',
      `maintenance:\n  - node: a\n    until: 100\n    reason: ${'x'.repeat(MAX_REASON_LENGTH + 1)}\n`,
      `FILE:4: maintenance[0].reason: expected a reason of at most ${MAX_REASON_LENGTH} characters`,
    ],
  ])('%s is one line naming file, line and key', (_what, text, expected) => {
    const { path, load } = inventory(text);
    let message = '';
    try {
      load();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      message = (error as Error).message.split(path).join('FILE');
    }
    expect(message.startsWith(expected)).toBe(true);
  });
});

describe('window evaluation with a given clock', () => {
  test('a one-off window is open from `from` (inclusive) to `until` (exclusive)', () => {
    const w = win({ node: 'a', from: '2026-12-01T08:00:00Z', until: '2026-12-01T12:00:00Z' });
    expect(windowOpenUntil(w, at('2026-12-01T07:59:59Z'))).toBeUndefined();
    expect(windowOpenUntil(w, at('2026-12-01T08:00:00Z'))).toBe(at('2026-12-01T12:00:00Z'));
    expect(windowOpenUntil(w, at('2026-12-01T12:00:00Z'))).toBeUndefined();
  });

  test('a daily UTC window', () => {
    const w = win({ node: 'a', daily: '08:00-17:00' });
    expect(windowOpenUntil(w, at('2026-12-01T07:59:00Z'))).toBeUndefined();
    expect(windowOpenUntil(w, at('2026-12-01T08:00:00Z'))).toBe(at('2026-12-01T17:00:00Z'));
    expect(windowOpenUntil(w, at('2026-12-01T16:59:30.250Z'))).toBe(at('2026-12-01T17:00:00Z'));
    expect(windowOpenUntil(w, at('2026-12-01T17:00:00Z'))).toBeUndefined();
  });

  test('a daily window across midnight, on weekdays it starts on', () => {
    // 2026-12-04 is a Friday: the Friday night window runs into Saturday morning; none starts on Saturday.
    const w = win({ node: 'a', daily: '22:00-06:00', weekdays: ['fri'] });
    expect(windowOpenUntil(w, at('2026-12-04T21:59:00Z'))).toBeUndefined();
    expect(windowOpenUntil(w, at('2026-12-04T22:00:00Z'))).toBe(at('2026-12-05T06:00:00Z'));
    expect(windowOpenUntil(w, at('2026-12-05T03:00:00Z'))).toBe(at('2026-12-05T06:00:00Z'));
    expect(windowOpenUntil(w, at('2026-12-05T06:00:00Z'))).toBeUndefined();
    expect(windowOpenUntil(w, at('2026-12-05T22:30:00Z'))).toBeUndefined();
    // Thursday night's end (Friday morning) belongs to a Thursday window: not listed.
    expect(windowOpenUntil(w, at('2026-12-04T03:00:00Z'))).toBeUndefined();
  });

  test('a daily window in a time zone: local hours and local weekdays', () => {
    // Tokyo is UTC+9 without DST: 08:00-17:00 local is 23:00-08:00 UTC of the day before.
    const w = win({ group: 'g', daily: '08:00-17:00', time_zone: 'Asia/Tokyo', weekdays: ['mon'] });
    // Sunday 23:30 UTC = Monday 08:30 in Tokyo.
    expect(windowOpenUntil(w, at('2026-11-29T23:30:00Z'))).toBe(at('2026-11-30T08:00:00Z'));
    // Monday 23:30 UTC = Tuesday in Tokyo: closed, though Monday in UTC.
    expect(windowOpenUntil(w, at('2026-11-30T23:30:00Z'))).toBeUndefined();
    // Santiago in December is UTC-3 (summer time): 20:00-02:00 local crosses midnight there.
    const s = win({ node: 'a', daily: '20:00-02:00', time_zone: 'America/Santiago' });
    expect(windowOpenUntil(s, at('2026-12-01T23:00:00Z'))).toBe(at('2026-12-02T05:00:00Z'));
    expect(windowOpenUntil(s, at('2026-12-02T04:59:00Z'))).toBe(at('2026-12-02T05:00:00Z'));
    expect(windowOpenUntil(s, at('2026-12-02T05:00:00Z'))).toBeUndefined();
  });

  test('a node is in the window closing last of those selecting it (node or group)', () => {
    const windows = [
      win({ node: 'ccd01', until: '2026-12-01T10:00:00Z', reason: 'short' }),
      win({ group: 'cameras', until: '2026-12-01T12:00:00Z', reason: 'long' }),
    ];
    const now = at('2026-12-01T09:00:00Z');
    const schedule = new MaintenanceSchedule(new Registry(), () => now);
    schedule.replaceInventory(windows);
    expect(schedule.stateOf('ccd01', 'cameras', now)).toEqual({
      until: at('2026-12-01T12:00:00Z') / 1000,
      reason: 'long',
    });
    expect(schedule.stateOf('ccd01', 'other', now)).toEqual({
      until: at('2026-12-01T10:00:00Z') / 1000,
      reason: 'short',
    });
    expect(schedule.stateOf('ccd02', 'other', now)).toBeNull();
  });
});

describe('the schedule: inventory windows and bounded runtime windows', () => {
  test('runtime windows are bounded, counted, deleted, and pruned once over', async () => {
    let now = at('2026-12-01T09:00:00Z');
    const registry = new Registry();
    const schedule = new MaintenanceSchedule(registry, () => now);
    schedule.replaceInventory([win({ group: 'dome', daily: '08:00-17:00' })]);
    const ids: string[] = [];
    for (let i = 0; i < MAX_RUNTIME_WINDOWS; i++)
      ids.push(schedule.add(win({ node: `n${i}`, until: '2026-12-01T10:00:00Z' }))!);
    expect(schedule.add(win({ node: 'one-more', until: '2026-12-01T10:00:00Z' }))).toBeUndefined();
    expect(await registry.getSingleMetricAsString('obsmon_bridge_maintenance_runtime_windows')).toContain(
      `obsmon_bridge_maintenance_runtime_windows ${MAX_RUNTIME_WINDOWS}`,
    );
    expect(
      schedule
        .list()
        .map((l) => l.id)
        .slice(0, 2),
    ).toEqual(['inventory-0', ids[0]]);
    expect(schedule.stateOf('n5', 'x')).toEqual({ until: at('2026-12-01T10:00:00Z') / 1000, reason: '' });
    expect(schedule.delete(ids[5]!)).toBe(true);
    expect(schedule.delete(ids[5]!)).toBe(false);
    expect(schedule.stateOf('n5', 'x')).toBeNull();
    now = at('2026-12-01T10:00:00Z');
    expect(schedule.list().map((l) => l.id)).toEqual(['inventory-0']);
    expect(schedule.add(win({ node: 'later', until: '2026-12-01T11:00:00Z' }))).toBeDefined();
    expect(schedule.stateOf('plc', 'dome')).toEqual({ until: at('2026-12-01T17:00:00Z') / 1000, reason: '' });
  });

  test('/metrics has obsmon_node_maintenance 1|0 and the node view the window', () => {
    const now = at('2026-12-01T09:00:00Z');
    const schedule = new MaintenanceSchedule(new Registry(), () => now);
    schedule.replaceInventory([win({ node: 'ccd01', until: '2026-12-01T10:00:00Z', reason: 'CCD swap' })]);
    const table = new NodeTable(
      {
        maxNodes: 10,
        maxSeriesPerNode: 10,
        backfillWindowSeconds: 60,
        futureToleranceSeconds: 60,
        enforceInventory: false,
        maxCustomKeysPerNode: 10,
      },
      new Map([
        ['ccd01', { name: 'ccd01', group: 'cameras', critical: true }],
        ['ccd02', { name: 'ccd02', group: 'cameras', critical: false }],
      ]),
    );
    const thresholds = new Thresholds(loadThresholdsConfig());
    const lookup = (node: string, group: string, t: number) => schedule.stateOf(node, group, t);
    const text = renderNodeExposition(table, thresholds, now, { downAfterMs: 60_000, maintenance: lookup });
    expect(text).toContain(
      '# TYPE obsmon_node_maintenance gauge\nobsmon_node_maintenance{node="ccd01"} 1\nobsmon_node_maintenance{node="ccd02"} 0\n',
    );
    expect(viewNode(table.get('ccd01')!, thresholds, now, 60_000, lookup).maintenance).toEqual({
      until: at('2026-12-01T10:00:00Z') / 1000,
      reason: 'CCD swap',
    });
    expect(viewNode(table.get('ccd02')!, thresholds, now, 60_000, lookup).maintenance).toBeNull();
    expect(
      viewNode(table.get('ccd01')!, thresholds, at('2026-12-01T10:00:00Z'), 60_000, lookup).maintenance,
    ).toBeNull();
  });
});
