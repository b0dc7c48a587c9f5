import { NODE_FLAGS } from '../deploy/node-flags.ts';
import type { BenchConfig } from './bench-config.ts';
import { startBridge, type BenchBridge, type HistoryMb } from './bridge-process.ts';
import { startChild, type Child } from './children.ts';
import { startLoad } from './load-process.ts';
import type { Table } from './markdown-table.ts';
import { sleep } from './net-util.ts';
import { lineCounter } from './ingest-throughput.ts';
import { cpuSeconds, preciseCpuSeconds, rssBytes } from './proc-stats.ts';
import { MB, num, ratio, show, summarise, type Summary } from './summary.ts';

/** The LAMOST fleet the issue compares with: 100 nodes, one report each per interval. */
export const FLEET_NODES = 100;
// The line bin/obsmon.js writes when it falls back to tsx: this section measures the compiled CLI.
const TSX_FALLBACK = 'running the TypeScript through tsx';
// The CLI through tsx's loader, as bin/obsmon.js ran it before the build step: the start-up comparison.
// With -e, argv[1] is bin/obsmon.js (startBridge's script), which this code stands in for.
const TSX_MAIN = `const { main } = await import(${JSON.stringify(new URL('../cli/main.ts', import.meta.url).href)}); process.exitCode = await main(process.argv.slice(2));`;

export interface RuntimeResult {
  readonly idleCpuPercent: Summary;
  readonly idleRssMb: Summary;
  readonly plainCpuPercent: Summary;
  readonly plainRssMb: Summary;
  /** The same plain process with one empty timer a second: what one wake-up per second costs here. */
  readonly tickingCpuPercent: Summary;
  readonly fleetCpuPercent: Summary;
  readonly fleetRssMb: Summary;
  /** The in-memory history at the end of the fleet windows, and what it may grow to, MB (part of the RSS). */
  readonly fleetHistoryMb: HistoryMb;
  readonly splitterCpuPercent: Summary;
  /** Bridge CPU / splitter CPU, window by window (both in the same windows). */
  readonly fleetRatio: Summary;
}

/** Load before the fleet windows: past V8's tier-up of the hot path (see the call). */
const FLEET_WARM_MS = 120_000;

/** CPU % of one core and RSS of each process over `samples` windows of `ms`. */
async function atRest(pids: readonly number[], samples: number, ms: number) {
  const cpu = pids.map(() => [] as number[]);
  const rss = pids.map(() => [] as number[]);
  for (let s = 0; s < samples; s += 1) {
    const before = pids.map(preciseCpuSeconds);
    const t0 = performance.now();
    await sleep(ms);
    const wall = (performance.now() - t0) / 1000;
    pids.forEach((pid, i) => {
      cpu[i]!.push(((preciseCpuSeconds(pid) - before[i]!) / wall) * 100);
      rss[i]!.push(rssBytes(pid) / MB);
    });
  }
  return pids.map((_, i) => ({ cpu: summarise(cpu[i]!), rss: summarise(rss[i]!), windows: cpu[i]! }));
}

/** CPU seconds from exec to the first /healthz answer, and RSS then, of a bridge started by `start`. */
async function startCost(start: () => Promise<BenchBridge>): Promise<{ cpu: number; rssMb: number }> {
  const bridge = await start();
  try {
    return { cpu: cpuSeconds(bridge.pid), rssMb: rssBytes(bridge.pid) / MB };
  } finally {
    await bridge.stop();
  }
}

/**
 * Section: the bridge at rest next to a plain idle Node.js process, its start-up compiled and through
 * tsx, and under the LAMOST fleet next to the bare line splitter under the same load.
 */
export async function runtimeCost(config: BenchConfig): Promise<{ table: Table; result: RuntimeResult }> {
  const starts = { compiled: [] as number[], tsx: [] as number[], compiledRss: [] as number[], tsxRss: [] as number[] };
  for (let i = 0; i < config.samples; i += 1) {
    const compiled = await startCost(() => startBridge(['--log-level', 'warn']));
    const tsx = await startCost(() =>
      startBridge(['--log-level', 'warn'], ['--import', 'tsx', '--input-type=module', '-e', TSX_MAIN]),
    );
    starts.compiled.push(compiled.cpu);
    starts.compiledRss.push(compiled.rssMb);
    starts.tsx.push(tsx.cpu);
    starts.tsxRss.push(tsx.rssMb);
  }

  // Warm-up: V8 runs a few memory-reducing collections in the first minute of a quiet process.
  const warmMs = config.smoke ? 1000 : 60_000;
  const windowMs = config.smoke ? 1000 : 20_000;
  const plain: Child = startChild('plain node', process.execPath, ['-e', 'setInterval(() => {}, 2 ** 30)']);
  // What one wake-up a second costs on this machine: the floor of any process with a 1 s timer.
  const ticking: Child = startChild('plain node, 1 s timer', process.execPath, ['-e', 'setInterval(() => {}, 1000)']);
  const bridge = await startBridge(['--log-level', 'warn']);
  try {
    if (bridge.log.includes(TSX_FALLBACK))
      throw new Error(`The bridge ran through tsx, not the compiled CLI: ${bridge.log}`);
    await sleep(warmMs);
    const [idle, idlePlain, idleTicking] = await atRest([bridge.pid, plain.pid, ticking.pid], config.samples, windowMs);

    // The bridge and the bare splitter under the same load in the same windows, both read in nanoseconds
    // (a 10 ms tick of /proc/<pid>/stat is a fifth of what the splitter uses in a 10 s window).
    const counter = await lineCounter('split');
    const load = await startLoad('paced', [bridge.ingestPort, FLEET_NODES, FLEET_NODES, config.intervalMs]);
    const splitterLoad = await startLoad('paced', [counter.port, FLEET_NODES, FLEET_NODES, config.intervalMs]);
    let fleet;
    let splitter;
    let fleetHistory;
    try {
      // The fleet's steady state, as a bridge running for months has it: at 10 reports a second V8
      // compiles the hot functions 20–60 s into the load (1–21 ms each on a worker thread), so windows
      // right after the start measured that warm-up (bridge/splitter 1.7–1.9×, 1.3–1.4× after 2 min).
      await sleep(config.smoke ? config.intervalMs + 200 : FLEET_WARM_MS);
      [fleet, splitter] = await atRest([bridge.pid, counter.pid], config.pairedSamples, config.intervalMs);
      fleetHistory = await bridge.historyMb();
    } finally {
      await load.stop();
      await splitterLoad.stop();
      await counter.stop();
    }
    const result: RuntimeResult = {
      idleCpuPercent: idle!.cpu,
      idleRssMb: idle!.rss,
      plainCpuPercent: idlePlain!.cpu,
      plainRssMb: idlePlain!.rss,
      tickingCpuPercent: idleTicking!.cpu,
      fleetCpuPercent: fleet!.cpu,
      fleetRssMb: fleet!.rss,
      fleetHistoryMb: fleetHistory!,
      splitterCpuPercent: splitter!.cpu,
      fleetRatio: summarise(fleet!.windows.map((cpu, i) => cpu / splitter!.windows[i]!)),
    };
    const compiled = summarise(starts.compiled);
    const tsx = summarise(starts.tsx);
    const table: Table = {
      title: 'Bridge at rest and with the LAMOST fleet',
      columns: ['process', 'CPU (% of one core)', 'RSS', 'reference'],
      rows: [
        [
          'bridge, idle (no agent, no client)',
          show(idle!.cpu, ' %', 2),
          `${show(idle!.rss, ' MB')}`,
          `plain idle Node.js: ${show(idlePlain!.cpu, ' %', 2)}, ${show(idlePlain!.rss, ' MB')}; with one empty 1 s timer: ${show(idleTicking!.cpu, ' %', 2)}`,
        ],
        [
          `bridge, ${FLEET_NODES} nodes at ${config.intervalMs / 1000} s`,
          show(fleet!.cpu, ' %', 2),
          `${show(fleet!.rss, ' MB')}, of which in-memory history ${num(fleetHistory!.held)} (grows to ${num(fleetHistory!.max)})`,
          `bare line splitter, same load: ${show(splitter!.cpu, ' %', 2)} (bridge/splitter per window ${show(result.fleetRatio, '×')}), ${show(splitter!.rss, ' MB')}`,
        ],
        [
          'bridge start-up, compiled (dist/cli/): CPU-s to the first /healthz, RSS then',
          `${show(compiled, ' CPU-s')}`,
          show(summarise(starts.compiledRss), ' MB'),
          `through tsx (the TypeScript loaded at start): ${show(tsx, ' CPU-s')} (${ratio(tsx.median, compiled.median)}), ${show(summarise(starts.tsxRss), ' MB')}`,
        ],
      ],
      notes: [
        `Every bridge here is \`bin/obsmon.js bridge\` running the compiled CLI (dist/cli/, \`npm run build\`) with obsmon's node flags (\`${NODE_FLAGS.join(' ')}\`, deploy/node-flags.ts; the splitter too, the plain processes without), default options (no database), except the tsx start-up row, which loads cli/main.ts through tsx as bin/obsmon.js did before the build step (and still does, saying so, when dist/cli/ is missing or older than a source).`,
        `Idle: after ${num(warmMs / 1000)} s at rest (V8's memory-reducing collections of a quiet process's first minute are over), ${config.samples} windows of ${num(windowMs / 1000)} s; CPU from /proc/<pid>/task/*/schedstat (nanoseconds; /proc/<pid>/stat counts 10 ms ticks, coarser than an idle process's use). The plain process is \`node -e "setInterval(() => {}, 2 ** 30)"\` (never wakes), the ticking one \`setInterval(() => {}, 1000)\`, both measured in the same windows: an idle process's CPU is its wake-ups. The idle bridge has one timer, its tick, every 10 s while no node is known (every second once one is: node-down, forget-after and event-age checks, the event-loop lag sample; docs/hot-path.md).`,
        `${FLEET_NODES} nodes: the paced load generator (one connection per node, reports spread evenly over the interval) against the same bridge after the idle windows, ${config.pairedSamples} windows of one interval each after ${num((config.smoke ? config.intervalMs + 200 : FLEET_WARM_MS) / 1000)} s of that load (past V8's optimising of the hot path, which at 10 reports a second comes 20–60 s in); the splitter is bench/line-counter.ts under its own copy of the same load, measured in the same windows (CPU of both from schedstat; the ratio is the median of the windows' ratios).`,
        `Start-up: ${config.samples} starts each; CPU of the process (all threads) from exec until it answers /healthz.`,
      ],
    };
    return { table, result };
  } finally {
    await bridge.stop();
    await plain.stop();
    await ticking.stop();
  }
}
