import { Registry } from 'prom-client';
import { createLiveEvents } from '../bridge/expose/live-events.ts';
import { gzipSync, constants as zlib } from 'node:zlib';
import { nodeExpositionChunks, recycleChunk } from '../bridge/expose/node-exposition.ts';
import { LineHandler, type ReportSink } from '../bridge/ingest/line-handler.ts';
import { createSelfMetrics } from '../bridge/self-metrics.ts';
import { CompiledThresholds } from '../bridge/state/node-judge.ts';
import { NodeTable } from '../bridge/state/node-table.ts';
import { Thresholds } from '../config/thresholds.ts';
import { DEFAULT_HISTORY_MAX_POINTS, DEFAULT_HISTORY_POINTS, MemoryHistory } from '../bridge/store/memory-history.ts';
import { silentLogger } from '../lib/logger.ts';
import { RateLimitedLog } from '../lib/rate-limited-log.ts';
import { LineSplitter } from '../protocol/line-splitter.ts';
import { parseLine } from '../protocol/line.ts';
import type { BenchConfig } from './bench-config.ts';
import type { Table } from './markdown-table.ts';
import { standardLine } from './report-lines.ts';
import { bytes, num, show, summarise } from './summary.ts';

const NODES = 10_000;
// The bridge's defaults (bridge/options.ts), so the table behaves as in `obsmon bridge` (bench/node-memory.ts too).
export const LIMITS = {
  maxNodes: 100_000,
  maxSeriesPerNode: 256,
  backfillWindowSeconds: 86_400,
  futureToleranceSeconds: 60,
  enforceInventory: false,
  maxCustomKeysPerNode: 64,
};

/** The live stream as the bridge builds it by default: a 20 000-event window. */
export const LIVE_OPTIONS = {
  windowEvents: 20_000,
  maxBufferedBytes: 1 << 20,
  maxSubscribers: 1000,
  maxTotalBufferedBytes: 64 << 20,
  maxWatchedNodes: LIMITS.maxNodes,
  downAfterMs: 60_000,
  now: Date.now,
};

type Stage = 'parse' | 'table' | 'stream' | 'history' | 'listened';

/** The bridge's per-report pipeline, built as bridge/bridge.ts builds it, up to `stage`. */
function pipeline(stage: Stage): {
  handle: (line: string) => unknown;
  table: NodeTable;
  thresholds: Thresholds;
  registry: Registry;
  stop: () => void;
} {
  const thresholds = Thresholds.load();
  const table = new NodeTable(LIMITS, new Map(), new CompiledThresholds(thresholds).judge);
  const registry = new Registry();
  const sinks: ReportSink[] = [];
  let stop = () => {};
  if (stage === 'history' || stage === 'listened')
    sinks.push(new MemoryHistory(DEFAULT_HISTORY_POINTS, DEFAULT_HISTORY_MAX_POINTS));
  if (stage !== 'parse' && stage !== 'table') {
    const live = createLiveEvents(table, registry, LIVE_OPTIONS);
    sinks.push(live.reports);
    // As a status page does: one subscriber of every node's reports.
    if (stage === 'listened') live.interest.hold(undefined, Date.now(), 0);
    stop = () => live.stop();
  }
  // As bridge/bridge.ts wires it: the store (here its in-memory history) first, then the live stream.
  const lines = new LineHandler(table, sinks, createSelfMetrics(registry), new RateLimitedLog(silentLogger));
  return {
    handle: stage === 'parse' ? parseLine : (line) => lines.handle(line, 'bench'),
    table,
    thresholds,
    registry,
    stop,
  };
}

/** CPU µs per call of `f` over `n` lines (after a warm-up of the same size). */
function cpuPerCall(lines: readonly string[], n: number, f: (line: string) => unknown): number {
  for (let i = 0; i < Math.min(n, 20_000); i += 1) f(lines[i % lines.length]!);
  const before = process.cpuUsage();
  for (let i = 0; i < n; i += 1) f(lines[i % lines.length]!);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / n;
}

function framing(lines: readonly string[], n: number): number {
  const chunk = Buffer.from(`${lines.join('\n')}\n`, 'latin1');
  const splitter = new LineSplitter(4096);
  let seen = 0;
  const sink = { line: () => (seen += 1), overlong: () => {} };
  const before = process.cpuUsage();
  while (seen < n)
    for (let at = 0; at < chunk.length; at += 65_536) splitter.push(chunk.subarray(at, at + 65_536), sink);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / seen;
}

/** Section 6: where a report's CPU goes inside the bridge, and what one /metrics render costs. */
export function breakdown(config: BenchConfig): Table[] {
  const n = config.smoke ? 5000 : 200_000;
  const timestamp = Math.floor(Date.now() / 1000);
  const lines = Array.from({ length: 20_000 }, (_, k) => standardLine(k % NODES, timestamp, k).slice(0, -1));
  // The same reports, but each node's cpu alternates between ok and error: a status event per report.
  const crossing = lines.map((line, k) => line.replace(/ cpu=[^ ]+/, k % (2 * NODES) < NODES ? ' cpu=50' : ' cpu=97'));
  const stages: { stage: Stage | 'frame'; name: string; input?: readonly string[] }[] = [
    { stage: 'frame', name: 'framing (LineSplitter: 64 KB chunks → line strings)' },
    { stage: 'parse', name: 'parseLine (protocol/line.ts, one scan per line)' },
    { stage: 'table', name: '+ LineHandler: limits, node table, self-metrics' },
    {
      stage: 'stream',
      name: '+ live events, no subscriber: status tracker (report events are built only while someone listens)',
    },
    { stage: 'history', name: '+ in-memory history (no database configured): chained chunks of shared typed arrays' },
    {
      stage: 'history',
      name: 'the same, when every report crosses a level (a status event each; a healthy fleet has few)',
      input: crossing,
    },
    {
      stage: 'listened',
      name: 'the same (no crossings), with a status page open: a stream client of every node, so each report becomes a JSON event in the window',
    },
  ];
  const results = stages.map(({ stage, name, input = lines }) => {
    const samples: number[] = [];
    for (let s = 0; s < config.samples; s += 1) {
      if (stage === 'frame') samples.push(framing(input, n));
      else {
        const p = pipeline(stage);
        samples.push(cpuPerCall(input, n, p.handle));
        p.stop();
      }
    }
    return { name, cost: summarise(samples) };
  });
  const perReport: Table = {
    title: "Where a report's CPU goes (in-process, no sockets)",
    columns: ['stage (cumulative from "parseLine" on)', 'CPU µs per report', 'reports/s on one core'],
    rows: results.map((r) => [r.name, show(r.cost, ' µs'), num(1e6 / r.cost.median)]),
    notes: [
      `${num(n)} standard reports of ${num(NODES)} nodes per sample, ${config.samples} samples, each stage built as bridge/bridge.ts wires it (default limits, built-in thresholds, a 20 000-event stream window, default history sizes), CPU from \`process.cpuUsage()\`. Framing is measured on its own; the other rows add up.`,
      'Not in these rows: the socket work per read (epoll, read, Buffer, stream events), which the steady-state table includes.',
    ],
  };

  const sizes = config.smoke ? [100] : [10_000, 50_000];
  const renders = sizes.map((nodes) => {
    const p = pipeline('table');
    for (let k = 0; k < nodes; k += 1) p.handle(standardLine(k, timestamp, k).slice(0, -1));
    const ms: number[] = [];
    const cpuMs: number[] = [];
    const slices: number[] = [];
    let body = Buffer.alloc(0);
    // One render first: it builds each node's cache of constant text (the bridge builds them ahead of
    // its first scrape, NodeCacheWarmer), which every later scrape reuses.
    for (const ready of nodeExpositionChunks(p.table, p.thresholds, Date.now(), { downAfterMs: 60_000 }))
      for (const chunk of ready) recycleChunk(chunk);
    for (let s = 0; s < Math.max(3, config.samples); s += 1) {
      // New values for every node between scrapes, as at a scrape interval equal to the report interval.
      for (let k = 0; k < nodes; k += 1) p.handle(standardLine(k, timestamp + s + 1, k + s + 1).slice(0, -1));
      const chunks: Buffer[] = [];
      let longest = 0;
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      let last = t0;
      for (const ready of nodeExpositionChunks(p.table, p.thresholds, Date.now(), { downAfterMs: 60_000 })) {
        chunks.push(...ready);
        const now = performance.now();
        longest = Math.max(longest, now - last);
        last = now;
      }
      ms.push(performance.now() - t0);
      const cpu = process.cpuUsage(cpu0);
      cpuMs.push((cpu.user + cpu.system) / 1000);
      slices.push(longest);
      body = Buffer.concat(chunks);
      // As /metrics does once a chunk is written: its memory goes to a later chunk.
      for (const chunk of chunks) recycleChunk(chunk);
    }
    const zipped = gzipSync(body, { level: zlib.Z_BEST_SPEED }).length;
    return [
      num(nodes),
      show(summarise(ms), ' ms'),
      show(summarise(cpuMs), ' ms'),
      show(summarise(slices), ' ms'),
      bytes(body.length),
      bytes(zipped),
      num(body.length / nodes),
    ];
  });
  const render: Table = {
    title: 'Rendering the node series of /metrics (in-process)',
    columns: [
      'nodes',
      'render (all chunks)',
      'CPU of that render',
      'longest chunk',
      'size',
      'gzip (level 1)',
      'bytes per node',
    ],
    rows: renders,
    notes: [
      'The node part of a scrape only (bridge/expose/node-exposition.ts: nodeExpositionChunks, every node with new values since the previous render), standard reports, built-in thresholds, after one warm-up render (which builds the cache of constant text of each node, as the bridge does ahead of its first scrape); the steady-state table has the whole HTTP scrape. Each node keeps its constant text (label sets, info and threshold lines, series heads) as one record in shared slabs, so a render copies those bytes and formats only the values; "CPU of that render" is `process.cpuUsage()` across it.',
      '"Longest chunk": the most work between two chunks, where /metrics (bridge/expose/sliced-write.ts) may yield to the event loop; it writes chunks for at least 5 ms before it does, so ingest waits at most about that plus one chunk per slice.',
      '"gzip": what a scraper that sends `Accept-Encoding: gzip` (Prometheus does) receives.',
    ],
  };
  return [perReport, render];
}
