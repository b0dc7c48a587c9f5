import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createSelfMetrics } from '../../../bridge/self-metrics.ts';
import { startNodeStateSaver } from '../../../bridge/state/node-state-saver.ts';
import { NodeTable } from '../../../bridge/state/node-table.ts';
import type { Logger } from '../../../lib/logger.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const limits = {
  maxNodes: 10,
  maxSeriesPerNode: 10,
  backfillWindowSeconds: 86_400,
  futureToleranceSeconds: 60,
  enforceInventory: false,
};

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

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'obsmon-saver-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function counter(registry: Registry, name: string, label: string): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name)!;
  return (metric.values as Array<{ value: number; labels: Record<string, string> }>).find((v) =>
    Object.values(v.labels).includes(label),
  )!.value;
}

describe('node state saver', () => {
  test('saves every interval and at stop; a failing save is counted, logged once a minute, and leaves the old file', async () => {
    const registry = new Registry();
    const metrics = createSelfMetrics(registry);
    const lines: string[] = [];
    const path = join(dir, 'nodes.json');
    const table = new NodeTable(limits);
    table.accept({ node: 'n1', timestamp: Date.now() / 1000, samples: [{ key: 'cpu', value: 1 }] }, Date.now());
    const saver = await startNodeStateSaver(
      table,
      { path, intervalMs: 20, maxNodes: 10, maxSeriesPerNode: 10, now: Date.now },
      metrics,
      capturingLogger(lines),
    );
    await waitFor(
      'two periodic saves',
      async () => (await counter(registry, 'obsmon_bridge_state_saves_total', 'ok')) >= 2,
      5000,
    );
    expect(readFileSync(path, 'utf8')).toContain('"node":"n1"');

    // The temporary name taken by a directory: every save fails from now on. A save may hold the
    // temporary file at this moment (every 20 ms): take the name once it is free.
    await waitFor(
      'the temporary name taken',
      () => {
        try {
          mkdirSync(`${path}.tmp`);
          return true;
        } catch {
          return false;
        }
      },
      5000,
      1,
    );
    // Every save from here on fails: the file stays as the last good one left it.
    const saved = readFileSync(path, 'utf8');
    table.accept({ node: 'n2', timestamp: Date.now() / 1000, samples: [{ key: 'cpu', value: 2 }] }, Date.now());
    await waitFor(
      'three failed saves',
      async () => (await counter(registry, 'obsmon_bridge_state_saves_total', 'failed')) >= 3,
      5000,
    );
    await saver.stop();
    expect(readFileSync(path, 'utf8')).toBe(saved);
    expect(lines.filter((l) => l.startsWith('warn Cannot save the node table'))).toHaveLength(1);
  });

  test('restores at start and says so; an invalid file is counted and logged, and the table stays empty', async () => {
    const path = join(dir, 'nodes.json');
    const first = new NodeTable(limits);
    first.accept({ node: 'n1', timestamp: Date.now() / 1000, samples: [{ key: 'cpu', value: 1 }] }, Date.now());
    const registry = new Registry();
    const lines: string[] = [];
    await (
      await startNodeStateSaver(
        first,
        { path, intervalMs: 60_000, maxNodes: 10, maxSeriesPerNode: 10, now: Date.now },
        createSelfMetrics(registry),
        capturingLogger(lines),
      )
    ).stop();

    const second = new NodeTable(limits);
    const registry2 = new Registry();
    await (
      await startNodeStateSaver(
        second,
        { path, intervalMs: 60_000, maxNodes: 10, maxSeriesPerNode: 10, now: Date.now },
        createSelfMetrics(registry2),
        capturingLogger(lines),
      )
    ).stop();
    expect(second.get('n1')?.series.get('cpu')?.value).toBe(1);
    expect(lines.some((l) => /^info Restored 1 node from ".*nodes\.json" \(saved \d+ s ago\)$/.test(l))).toBe(true);

    const other = join(dir, 'other.json');
    writeFileSync(other, 'not a state file\n');
    const third = new NodeTable(limits);
    const registry3 = new Registry();
    const saver = await startNodeStateSaver(
      third,
      { path: other, intervalMs: 60_000, maxNodes: 10, maxSeriesPerNode: 10, now: Date.now },
      createSelfMetrics(registry3),
      capturingLogger(lines),
    );
    expect(third.size).toBe(0);
    expect(await counter(registry3, 'obsmon_bridge_state_restore_dropped_total', 'invalid_file')).toBe(1);
    expect(lines.some((l) => l.startsWith(`warn Ignoring the node state file "${other}" (line 1 is not JSON)`))).toBe(
      true,
    );
    await saver.stop();
  });
});
