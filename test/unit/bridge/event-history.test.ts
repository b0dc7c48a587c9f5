import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Counter, Gauge, Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { parseEventFilter } from '../../../bridge/expose/events-route.ts';
import { BridgeHealthWatch } from '../../../bridge/state/bridge-health.ts';
import {
  EventHistory,
  eventHistoryMetrics,
  type HistoryEvent,
  type NewEvent,
} from '../../../bridge/state/event-history.ts';
import { readEventsFile, startEventsFile } from '../../../bridge/state/event-history-file.ts';
import { EventRecorder } from '../../../bridge/state/event-recorder.ts';
import { MaintenanceSchedule } from '../../../bridge/state/maintenance-schedule.ts';
import { NodeTable } from '../../../bridge/state/node-table.ts';
import { CompiledThresholds } from '../../../bridge/state/node-judge.ts';
import { StatusTracker } from '../../../bridge/state/status-tracker.ts';
import { loadThresholdsConfig, Thresholds } from '../../../config/thresholds.ts';
import type { Logger } from '../../../lib/logger.ts';

const limits = {
  maxNodes: 10,
  maxSeriesPerNode: 10,
  backfillWindowSeconds: 86_400,
  futureToleranceSeconds: 60,
  enforceInventory: false,
};
const DOWN_AFTER_MS = 60_000;
const T0 = 1_700_000_000_000;

function capturingLogger(lines: string[]): Logger {
  const log: Logger = {
    debug: () => {},
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
    child: () => log,
  };
  return log;
}

async function counter(registry: Registry, name: string, label: string): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name)!;
  return (metric.values as Array<{ value: number; labels: Record<string, string> }>).find((v) =>
    Object.values(v.labels).includes(label),
  )!.value;
}

/** The bridge's wiring in small: table, tracker and recorder on one injected clock. */
function fleet(
  history: EventHistory,
  clock: { ms: number },
  table = new NodeTable(
    limits,
    new Map([['cam1', { name: 'cam1', group: 'cameras', critical: true }]]),
    new CompiledThresholds(new Thresholds(loadThresholdsConfig())).judge,
  ),
) {
  const tracker = new StatusTracker(table, DOWN_AFTER_MS);
  const recorder = new EventRecorder(history, table, DOWN_AFTER_MS, () => clock.ms);
  return {
    table,
    recorder,
    report(node: string, disk: number) {
      const outcome = table.accept(
        { node, timestamp: clock.ms / 1000, samples: [{ key: 'disk', value: disk }] },
        clock.ms,
      );
      if (!outcome.ok) throw new Error(outcome.reason);
      for (const change of tracker.onReport(outcome.report)) recorder.statusChange(change);
    },
    tick() {
      for (const change of tracker.sweep(clock.ms)) recorder.statusChange(change);
      recorder.reconcile();
    },
  };
}

const summary = (e: HistoryEvent) =>
  `${e.kind} ${e.node ?? e.component} ${e.metric ?? ''} ${e.from}->${e.to} ${e.severity}`.replace('  ', ' ');

function sample(i: number, over: Partial<NewEvent> = {}): NewEvent {
  return {
    time: T0 / 1000 + i,
    kind: 'threshold',
    severity: 'warning',
    node: `n${i % 3}`,
    group: i % 2 === 0 ? 'even' : 'odd',
    metric: 'disk',
    component: null,
    from: 'ok',
    to: 'warning',
    value: 85,
    message: null,
    ...over,
  };
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'obsmon-events-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('event recorder', () => {
  test('each threshold crossing and each down/up is recorded once, with group and severity', () => {
    const clock = { ms: T0 };
    const history = new EventHistory({ maxEvents: 100, maxAgeSeconds: undefined, now: () => clock.ms });
    const f = fleet(history, clock);
    // cameras: disk warning 90, error 95 (the built-in thresholds)
    for (const disk of [50, 91, 92, 95, 96, 95, 50, 50]) {
      clock.ms += 1000;
      f.report('cam1', disk);
      f.tick();
    }
    clock.ms += DOWN_AFTER_MS + 1000;
    f.tick();
    f.tick();
    clock.ms += 1000;
    f.report('cam1', 50);
    f.tick();
    f.report('web1', 10);
    clock.ms += DOWN_AFTER_MS + 1000;
    f.tick();
    expect([...history.all()].map(summary)).toEqual([
      'threshold cam1 disk ok->warning warning',
      'threshold cam1 disk warning->error error',
      'threshold cam1 disk error->ok info',
      'node cam1 up->down error',
      'node cam1 down->up info',
      'node cam1 up->down error',
      // Not critical: a warning.
      'node web1 up->down warning',
    ]);
    const first = [...history.all()][0]!;
    expect(first).toMatchObject({ id: 1, group: 'cameras', value: 91, time: (T0 + 2000) / 1000 });
  });

  test('after a restart (a new tracker and recorder on the restored log) a metric still in error is no new crossing, and a node down meanwhile is recorded', () => {
    const clock = { ms: T0 };
    const history = new EventHistory({ maxEvents: 100, maxAgeSeconds: undefined, now: () => clock.ms });
    const before = fleet(history, clock);
    before.report('cam1', 95);
    before.report('web1', 10);
    before.tick();
    before.report('web1', 10);
    expect(history.size).toBe(1);
    // web1 must be known to the log as up for its down to be a change: it went down and up once.
    clock.ms += DOWN_AFTER_MS + 1;
    before.tick();
    before.report('web1', 10);
    before.report('cam1', 95);
    expect([...history.all()].map(summary).slice(1)).toEqual([
      'node cam1 up->down error',
      'node web1 up->down warning',
      'node web1 down->up info',
      'node cam1 down->up info',
      'threshold cam1 disk ok->error error',
    ]);

    // Restart: the same table (as restored from the state file), a new tracker and recorder.
    const restored = new EventHistory({ maxEvents: 100, maxAgeSeconds: undefined, now: () => clock.ms });
    restored.restore([...history.all()]);
    const after = fleet(restored, clock, before.table);
    clock.ms += 1000;
    after.report('cam1', 96);
    after.tick();
    expect(restored.size).toBe(history.size);
    // web1 stopped while the bridge was away: the first ticks after the restart say so.
    clock.ms += DOWN_AFTER_MS + 1;
    after.report('cam1', 96);
    after.tick();
    expect([...restored.all()].slice(history.size).map(summary)).toEqual(['node web1 up->down warning']);
  });

  test('with every node recorded up, reconcile looks at no node until the first can be down, then records it', () => {
    const clock = { ms: T0 };
    const history = new EventHistory({ maxEvents: 100, maxAgeSeconds: undefined, now: () => clock.ms });
    const f = fleet(history, clock);
    // Known to the log as up: down once (by the tracker's sweep) and back.
    f.report('web1', 10);
    f.report('web2', 10);
    clock.ms += DOWN_AFTER_MS + 1;
    f.tick();
    f.report('web1', 10);
    const web1At = clock.ms;
    f.report('web2', 10);
    const recorded = history.size;
    clock.ms += 1000;
    f.report('web2', 10);
    const reads = vi.spyOn(f.table, 'get');
    for (let i = 0; i < 50; i += 1) {
      clock.ms += 1000;
      f.recorder.reconcile();
    }
    expect(reads).not.toHaveBeenCalled();
    // web1's time comes; the tracker's sweep is not asked: reconcile alone records it, and only it.
    clock.ms = web1At + DOWN_AFTER_MS + 1;
    f.recorder.reconcile();
    expect([...history.all()].slice(recorded).map(summary)).toEqual(['node web1 up->down warning']);
  });

  test("bridge problems: a change of the store's own gauges is one event each way", async () => {
    const clock = { ms: T0 };
    const registry = new Registry();
    const up = new Gauge({ name: 'obsmon_bridge_storage_up', help: 'x', registers: [registry] });
    const errors = new Counter({
      name: 'obsmon_bridge_spool_errors_total',
      help: 'x',
      labelNames: ['op'] as const,
      registers: [registry],
    });
    up.set(1);
    errors.labels('write').inc(0);
    const history = new EventHistory({ maxEvents: 100, maxAgeSeconds: undefined, now: () => clock.ms });
    const recorder = new EventRecorder(history, new NodeTable(limits), DOWN_AFTER_MS, () => clock.ms);
    const watch = new BridgeHealthWatch(registry, recorder);
    await watch.check();
    up.set(0);
    await watch.check();
    await watch.check();
    errors.labels('write').inc(3);
    await watch.check();
    errors.labels('write').inc(1);
    await watch.check();
    await watch.check();
    up.set(1);
    await watch.check();
    recorder.bridge('config_reload', false, 'Reload incomplete: thresholds: invalid, previous kept');
    recorder.bridge('config_reload', false, 'again');
    recorder.bridge('config_reload', true, 'Reloaded');
    expect([...history.all()].map(summary)).toEqual([
      'bridge storage ok->error error',
      'bridge spool ok->error error',
      'bridge spool error->ok info',
      'bridge storage error->ok info',
      'bridge config_reload ok->error error',
      'bridge config_reload error->ok info',
    ]);
    expect([...history.all()][4]!.message).toBe('Reload incomplete: thresholds: invalid, previous kept');
  });
});

describe('event history', () => {
  test('bounded by count and by age; each removal counted', async () => {
    const registry = new Registry();
    const metrics = eventHistoryMetrics(registry);
    const clock = { ms: T0 + 100_000 };
    const history = new EventHistory({ maxEvents: 3, maxAgeSeconds: 50, now: () => clock.ms }, metrics);
    for (let i = 60; i < 65; i += 1) history.record(sample(i));
    expect([...history.all()].map((e) => e.id)).toEqual([3, 4, 5]);
    expect(await counter(registry, 'obsmon_bridge_events_dropped_total', 'max_events')).toBe(2);
    expect(await counter(registry, 'obsmon_bridge_events_recorded_total', 'threshold')).toBe(5);
    // Time passes with no new event: the periodic prune ages them out.
    clock.ms += 13_500;
    history.prune();
    expect([...history.all()].map((e) => e.id)).toEqual([5]);
    expect(await counter(registry, 'obsmon_bridge_events_dropped_total', 'max_age')).toBe(2);
    expect(history.record(sample(70)).id).toBe(6);
  });

  test('filters by node, group, kind, severity, status and time; pages by id without repeats or gaps', () => {
    const history = new EventHistory({ maxEvents: 1000, maxAgeSeconds: undefined, now: () => T0 + 1e9 });
    for (let i = 0; i < 30; i += 1)
      history.record(
        sample(
          i,
          i % 5 === 0 ? { kind: 'node', metric: null, from: 'up', to: 'down', severity: 'error', value: null } : {},
        ),
      );
    history.record({
      time: T0 / 1000 + 30,
      kind: 'bridge',
      severity: 'error',
      node: null,
      group: null,
      metric: null,
      component: 'storage',
      from: 'ok',
      to: 'error',
      value: null,
      message: 'x',
    });
    const ids = (f: Parameters<typeof parseEventFilter>[0]) =>
      history.query(parseEventFilter(f)).events.map((e) => e.id);
    expect(ids({})).toHaveLength(31);
    expect(ids({ limit: '3' })).toEqual([31, 30, 29]);
    expect(ids({ node: 'n1', limit: '1000' }).every((id) => (id - 1) % 3 === 1)).toBe(true);
    expect(ids({ node: 'n0,n1' })).toHaveLength(20);
    expect(ids({ group: 'odd' })).toHaveLength(15);
    expect(ids({ kind: 'node' })).toEqual([26, 21, 16, 11, 6, 1]);
    expect(ids({ kind: 'bridge' })).toEqual([31]);
    expect(ids({ severity: 'error', status: 'down' })).toEqual([26, 21, 16, 11, 6, 1]);
    expect(ids({ since: String(T0 / 1000 + 10), until: String(T0 / 1000 + 12) })).toEqual([13, 12, 11]);
    expect(ids({ after: '28' })).toEqual([31, 30, 29]);
    const seen: number[] = [];
    let before: string | undefined;
    for (let pages = 0; pages < 20; pages += 1) {
      const page = history.query(
        parseEventFilter({ limit: '7', kind: 'threshold', ...(before === undefined ? {} : { before }) }),
      );
      seen.push(...page.events.map((e) => e.id));
      if (page.nextBefore === null) break;
      before = String(page.nextBefore);
    }
    expect(seen).toEqual(ids({ kind: 'threshold', limit: '1000' }));
    expect(seen).toHaveLength(24);
  });

  test.each([
    ['limit', '0'],
    ['limit', '1001'],
    ['limit', 'ten'],
    ['since', '-5'],
    ['before', '1e3'],
    ['node', Array.from({ length: 101 }, (_, i) => `n${i}`).join(',')],
  ])('a malformed %s=%s is a 400', (name, value) => {
    expect(() => parseEventFilter(Object.fromEntries([[name, value]]))).toThrow(
      expect.objectContaining({ status: 400 }),
    );
  });

  test('a parameter given twice is a 400', () => {
    expect(() => parseEventFilter({ node: ['a', 'b'] })).toThrow(expect.objectContaining({ status: 400 }));
  });
});

describe('events file', () => {
  const options = (path: string, clock: { ms: number }, maxEvents = 100) => ({
    path,
    flushIntervalMs: 60_000,
    maxEvents,
    now: () => clock.ms,
  });

  test('round trip: events written, read back after a restart, ids go on', async () => {
    const clock = { ms: T0 + 1e6 };
    const path = join(dir, 'events.jsonl');
    const lines: string[] = [];
    const registry = new Registry();
    const metrics = eventHistoryMetrics(registry);
    const history = new EventHistory({ maxEvents: 100, maxAgeSeconds: undefined, now: () => clock.ms }, metrics);
    const file = await startEventsFile(history, options(path, clock), metrics, capturingLogger(lines));
    history.record(sample(1));
    history.record(
      sample(2, {
        kind: 'bridge',
        node: null,
        group: null,
        metric: null,
        component: 'spool',
        from: 'ok',
        to: 'error',
        severity: 'error',
        value: null,
        message: 'disk "full"\n',
      }),
    );
    await file.flush();
    history.record(sample(3, { node: '__proto__' }));
    await file.stop();

    const again = new EventHistory({ maxEvents: 100, maxAgeSeconds: undefined, now: () => clock.ms }, metrics);
    const file2 = await startEventsFile(again, options(path, clock), metrics, capturingLogger(lines));
    expect([...again.all()]).toEqual([...history.all()]);
    expect(again.record(sample(4)).id).toBe(4);
    await file2.stop();
    expect(await counter(registry, 'obsmon_bridge_events_file_errors_total', 'bad_line')).toBe(0);
    expect(lines).toContain(`info Restored 3 events from "${path}"`);
    expect((await readEventsFile(path, 100, clock.ms)).kind).toBe('ok');
  });

  test('the file stays bounded: past --events-max appends it is rewritten with what the log holds', async () => {
    const clock = { ms: T0 + 1e6 };
    const path = join(dir, 'events.jsonl');
    const metrics = eventHistoryMetrics(new Registry());
    const history = new EventHistory({ maxEvents: 5, maxAgeSeconds: undefined, now: () => clock.ms }, metrics);
    const file = await startEventsFile(history, options(path, clock, 5), metrics, capturingLogger([]));
    for (let i = 0; i < 40; i += 1) {
      history.record(sample(i));
      await file.flush();
      expect(readFileSync(path, 'utf8').split('\n').length).toBeLessThanOrEqual(1 + 2 * 5 + 2);
    }
    await file.stop();
    const read = await readEventsFile(path, 5, clock.ms);
    expect(read.kind === 'ok' && read.events.map((e) => e.id)).toEqual([36, 37, 38, 39, 40]);
  });

  test('hostile or torn lines are skipped and counted; the rest is kept; nothing crashes', async () => {
    const clock = { ms: T0 + 1e6 };
    const path = join(dir, 'events.jsonl');
    const good = (id: number, over: Record<string, unknown> = {}) => JSON.stringify({ id, ...sample(id), ...over });
    writeFileSync(
      path,
      [
        '{"format":"obsmon-events","version":1}',
        good(1),
        good(2, { node: 'bad node' }),
        good(3, { node: 'x'.repeat(65) }),
        good(4, { kind: 'toString' }),
        good(5, { to: 'constructor' }),
        good(6, { value: 'NaN' }),
        good(7, { metric: 'disk@a b' }),
        good(8, { time: 9e15 }),
        good(8),
        good(1),
        `{"id":9,"__proto__":{"kind":"node"}}`,
        'x'.repeat(10_000),
        good(10, { node: '__proto__', group: 'constructor' }),
        '{"id":11,"time":',
      ].join('\n'),
    );
    const registry = new Registry();
    const metrics = eventHistoryMetrics(registry);
    const lines: string[] = [];
    const history = new EventHistory({ maxEvents: 100, maxAgeSeconds: undefined, now: () => clock.ms }, metrics);
    const file = await startEventsFile(history, options(path, clock), metrics, capturingLogger(lines));
    expect([...history.all()].map((e) => e.id)).toEqual([1, 8, 10]);
    // A time from the future is taken as now.
    expect([...history.all()][1]!.time).toBe(clock.ms / 1000);
    expect(await counter(registry, 'obsmon_bridge_events_file_errors_total', 'bad_line')).toBe(11);
    expect(lines.some((l) => l.startsWith('warn') && l.includes('skipped 11 invalid lines'))).toBe(true);
    await file.stop();
    // Rewritten at start-up: the skipped lines are gone.
    expect(readFileSync(path, 'utf8').trimEnd().split('\n')).toHaveLength(4);
  });

  test.each([
    ['a foreign file', 'hello world\n'],
    ['another JSON file', '{"format":"obsmon-node-state","version":1}\n'],
    ['a newer version', '{"format":"obsmon-events","version":2}\n'],
    ['an empty file', ''],
  ])('%s is logged, counted, ignored and replaced', async (_, content) => {
    const clock = { ms: T0 + 1e6 };
    const path = join(dir, 'events.jsonl');
    writeFileSync(path, content);
    const registry = new Registry();
    const metrics = eventHistoryMetrics(registry);
    const lines: string[] = [];
    const history = new EventHistory({ maxEvents: 100, maxAgeSeconds: undefined, now: () => clock.ms }, metrics);
    const file = await startEventsFile(history, options(path, clock), metrics, capturingLogger(lines));
    expect(history.size).toBe(0);
    expect(await counter(registry, 'obsmon_bridge_events_file_errors_total', 'invalid_file')).toBe(1);
    expect(lines.filter((l) => l.startsWith('warn'))).toEqual([
      expect.stringContaining(`Ignoring the events file "${path}"`),
    ]);
    history.record(sample(1));
    await file.stop();
    expect((await readEventsFile(path, 100, clock.ms)).kind).toBe('ok');
  });

  test('a file that cannot be written is counted and logged; the events stay in memory and reach the file once it can be', async () => {
    const clock = { ms: T0 + 1e6 };
    const path = join(dir, 'events.jsonl');
    const registry = new Registry();
    const metrics = eventHistoryMetrics(registry);
    const lines: string[] = [];
    const history = new EventHistory({ maxEvents: 100, maxAgeSeconds: undefined, now: () => clock.ms }, metrics);
    // The rewrite's temporary file cannot be created (a directory is in the way; root ignores modes).
    mkdirSync(`${path}.tmp`);
    const file = await startEventsFile(history, options(path, clock), metrics, capturingLogger(lines));
    history.record(sample(1));
    await file.flush();
    expect(await counter(registry, 'obsmon_bridge_events_file_errors_total', 'write')).toBe(2);
    expect(lines.filter((l) => l.includes('Cannot write the events file'))).toHaveLength(1);
    expect(history.size).toBe(1);
    rmSync(`${path}.tmp`, { recursive: true });
    history.record(sample(2));
    await file.stop();
    const read = await readEventsFile(path, 100, clock.ms);
    expect(read.kind === 'ok' && read.events.map((e) => e.id)).toEqual([1, 2]);
  });
});

describe('maintenance windows in the event log', () => {
  test('a window opening and closing is one event each, with its end and reason; a restart does not repeat it', () => {
    const clock = { ms: T0 };
    const table = new NodeTable(limits, new Map([['cam1', { name: 'cam1', group: 'cameras', critical: true }]]));
    const until = T0 / 1000 + 3600;
    // A window for the group cameras during the first hour.
    const schedule = new MaintenanceSchedule(new Registry(), () => clock.ms);
    schedule.replaceInventory([
      {
        selector: { group: 'cameras' },
        schedule: { kind: 'once', fromMs: T0, untilMs: until * 1000 },
        reason: 'CCD swap',
      },
    ]);
    const history = new EventHistory({ maxEvents: 100, maxAgeSeconds: undefined, now: () => clock.ms });
    const recorder = new EventRecorder(history, table, DOWN_AFTER_MS, () => clock.ms, 10_000, schedule);
    recorder.reconcile();
    clock.ms += 1000;
    recorder.reconcile();
    const opened = [...history.all()].filter((e) => e.kind === 'maintenance');
    expect(opened.map(summary)).toEqual(['maintenance cam1 off->on info']);
    expect(opened[0]!.message).toBe(
      `until ${new Date(until * 1000).toISOString().slice(0, 16).replace('T', ' ')} UTC: CCD swap`,
    );

    // A restart reads the log back: the open window is not recorded again, its end is.
    const again = new EventRecorder(history, table, DOWN_AFTER_MS, () => clock.ms, 10_000, schedule);
    again.reconcile();
    clock.ms = until * 1000 + 1000;
    again.reconcile();
    again.reconcile();
    expect([...history.all()].filter((e) => e.kind === 'maintenance').map(summary)).toEqual([
      'maintenance cam1 off->on info',
      'maintenance cam1 on->off info',
    ]);
  });

  test('without any window no node is looked up; a window added, then deleted, is still one event each way', () => {
    const clock = { ms: T0 };
    const table = new NodeTable(limits, new Map([['cam1', { name: 'cam1', group: 'cameras', critical: true }]]));
    const schedule = new MaintenanceSchedule(new Registry(), () => clock.ms);
    let lookups = 0;
    const counted = {
      get hasWindows() {
        return schedule.hasWindows;
      },
      stateOf: (node: string, group: string, nowMs: number) => {
        lookups += 1;
        return schedule.stateOf(node, group, nowMs);
      },
    };
    const history = new EventHistory({ maxEvents: 100, maxAgeSeconds: undefined, now: () => clock.ms });
    const recorder = new EventRecorder(history, table, DOWN_AFTER_MS, () => clock.ms, 10_000, counted);
    const events = () => [...history.all()].filter((e) => e.kind === 'maintenance').map(summary);
    recorder.reconcile();
    clock.ms += 1000;
    recorder.reconcile();
    expect(lookups).toBe(0);
    const id = schedule.add({
      selector: { node: 'cam1' },
      schedule: { kind: 'once', fromMs: T0, untilMs: T0 + 3_600_000 },
      reason: 'focus test',
    })!;
    recorder.reconcile();
    expect(events()).toEqual(['maintenance cam1 off->on info']);
    // Deleted: no window is held, but the log says one is open, so its end is recorded.
    schedule.delete(id);
    clock.ms += 1000;
    recorder.reconcile();
    expect(events()).toEqual(['maintenance cam1 off->on info', 'maintenance cam1 on->off info']);
    const before = lookups;
    recorder.reconcile();
    expect(lookups).toBe(before);
  });
});
