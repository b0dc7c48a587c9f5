/**
 * Heap bytes per node, by component: `node --expose-gc --import tsx bench/node-memory.ts [nodes] [reports]`.
 * Builds the ingest pipeline as bridge/bridge.ts wires it, one component more per row, feeds every
 * node `reports` standard reports (default 4: what a node has sent when the steady-state table
 * reads the bridge's RSS) and prints the heap (and array buffers) it holds afterwards, per node. Not
 * part of `npm run bench`: it is how to find where a node's bytes go (docs/hot-path.md, "What a
 * node costs in memory"). Sockets are not in it: the steady-state table has them.
 */
import { Registry } from 'prom-client';
import { createLiveEvents } from '../bridge/expose/live-events.ts';
import { nodeExpositionChunks } from '../bridge/expose/node-exposition.ts';
import { LineHandler, type ReportSink } from '../bridge/ingest/line-handler.ts';
import { createSelfMetrics } from '../bridge/self-metrics.ts';
import { CompiledThresholds } from '../bridge/state/node-judge.ts';
import { NodeTable } from '../bridge/state/node-table.ts';
import { MemoryHistory } from '../bridge/store/memory-history.ts';
import { Thresholds } from '../config/thresholds.ts';
import { silentLogger } from '../lib/logger.ts';
import { RateLimitedLog } from '../lib/rate-limited-log.ts';
import { LIMITS as BREAKDOWN_LIMITS, LIVE_OPTIONS } from './breakdown.ts';
import { standardLine } from './report-lines.ts';

// As many nodes as asked for: the bridge's other defaults (bench/breakdown.ts), no node limit in the way.
const LIMITS = { ...BREAKDOWN_LIMITS, maxNodes: 1_000_000 };
const STAGES = [
  'node table (no thresholds)',
  '+ thresholds compiled per node',
  '+ in-memory history',
  '+ live events (status tracker)',
  '+ /metrics caches (one render)',
] as const;

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) {
  process.stderr.write('Run with node --expose-gc\n');
  process.exit(2);
}
const held = (): number => {
  for (let i = 0; i < 4; i += 1) gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

const nodes = Number(process.argv[2] ?? 10_000);
const reports = Number(process.argv[3] ?? 4);
const start = Math.floor(Date.now() / 1000) - reports * 10;
// Every line made before the first measurement, so none of them is counted.
const lines = Array.from({ length: reports }, (_, r) =>
  Array.from({ length: nodes }, (_, k) => standardLine(k, start + r * 10, k + r).slice(0, -1)),
);

/** The pipeline up to `stage` (an index into STAGES), fed every line; returned so it stays alive. */
function build(stage: number): unknown {
  const thresholds = Thresholds.load();
  const table = new NodeTable(LIMITS, new Map(), stage >= 1 ? new CompiledThresholds(thresholds).judge : undefined);
  const registry = new Registry();
  const sinks: ReportSink[] = [];
  if (stage >= 2) sinks.push(new MemoryHistory());
  const live = stage >= 3 ? createLiveEvents(table, registry, LIVE_OPTIONS) : undefined;
  if (live !== undefined) sinks.push(live.reports);
  const handler = new LineHandler(table, sinks, createSelfMetrics(registry), new RateLimitedLog(silentLogger));
  for (const batch of lines) for (const line of batch) handler.handle(line, 'bench');
  if (stage >= 4)
    for (const chunk of nodeExpositionChunks(table, thresholds, Date.now(), { downAfterMs: 60_000 })) void chunk;
  live?.stop();
  return { table, sinks, registry, live };
}

process.stdout.write(`${nodes} nodes, ${reports} standard reports each; heap + array buffers held, per node\n`);
let previous = 0;
// The pipeline measured is held here, and dropped before the next one is measured from a clean heap.
const alive: unknown[] = [];
for (let stage = 0; stage < STAGES.length; stage += 1) {
  alive.length = 0;
  const before = held();
  alive.push(build(stage));
  const perNode = (held() - before) / nodes;
  process.stdout.write(
    `${STAGES[stage]!.padEnd(34)} ${perNode.toFixed(0).padStart(6)} B   (this component ${(perNode - previous).toFixed(0)} B)\n`,
  );
  previous = perNode;
}
