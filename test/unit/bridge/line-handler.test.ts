import { Registry } from 'prom-client';
import { describe, expect, test } from 'vitest';
import { LineHandler, type ReportSink } from '../../../bridge/ingest/line-handler.ts';
import { createSelfMetrics } from '../../../bridge/self-metrics.ts';
import { NodeTable, type AcceptedReport } from '../../../bridge/state/node-table.ts';
import { silentLogger } from '../../../lib/logger.ts';
import { RateLimitedLog } from '../../../lib/rate-limited-log.ts';

const NOW_MS = 1_763_884_800_000;
const T = NOW_MS / 1000;

function handler() {
  const table = new NodeTable({
    maxNodes: 10,
    maxSeriesPerNode: 10,
    backfillWindowSeconds: 3600,
    futureToleranceSeconds: 60,
    enforceInventory: false,
  });
  const seen: string[] = [];
  const sink = (name: string): ReportSink => ({
    record: (r: AcceptedReport) => seen.push(`${name} ${r.node} ${r.timestamp} ${r.samples.length}`),
  });
  const lines = new LineHandler(
    table,
    [sink('store'), sink('stream')],
    createSelfMetrics(new Registry()),
    new RateLimitedLog(silentLogger),
    () => NOW_MS,
  );
  return { lines, seen, table };
}

describe('LineHandler sinks', () => {
  test('every accepted report goes to each sink, in the order wired; a refused line to none', () => {
    const { lines, seen } = handler();
    expect(lines.handle(`ccd01 ${T} cpu=1 mem=2`, 'test')).toBeUndefined();
    expect(lines.handle(`ccd01 ${T} cpu=x`, 'test')).toBe('bad_value');
    expect(lines.handle(`ccd01 ${T - 7200} cpu=1`, 'test')).toBe('too_old');
    expect(seen).toEqual([`store ccd01 ${T} 2`, `stream ccd01 ${T} 2`]);
  });

  test("a probe's report (submit) takes the same path as an agent's line", () => {
    const { lines, seen, table } = handler();
    lines.submit({ node: 'dome', timestamp: T, samples: [{ key: 'probe_up', value: 1 }] }, 'probe tcp dome:22');
    expect(seen).toEqual([`store dome ${T} 1`, `stream dome ${T} 1`]);
    expect(table.get('dome')?.series.get('probe_up')?.value).toBe(1);
  });

  test("an accepted report records its connection's AGENT on the node; a refused one changes nothing", () => {
    const { lines, table } = handler();
    expect(lines.handle(`ccd01 ${T} cpu=1`, 'test', undefined, 'obsmon-exporter/0.1.0')).toBeUndefined();
    expect(table.get('ccd01')?.agent).toBe('obsmon-exporter/0.1.0');
    expect(lines.handle(`ccd01 ${T} cpu=x`, 'test', undefined, 'other/1')).toBe('bad_value');
    expect(table.get('ccd01')?.agent).toBe('obsmon-exporter/0.1.0');
    // A connection without AGENT (an older agent took over the node): unknown again.
    expect(lines.handle(`ccd01 ${T + 1} cpu=1`, 'test')).toBeUndefined();
    expect(table.get('ccd01')?.agent).toBeUndefined();
  });
});
