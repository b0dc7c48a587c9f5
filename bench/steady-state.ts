import { gunzipSync } from 'node:zlib';
import { NODE_FLAGS } from '../deploy/node-flags.ts';
import type { BenchConfig } from './bench-config.ts';
import { historyMb, startBridge, type HistoryMb } from './bridge-process.ts';
import { LatencyProbe } from './latency-probe.ts';
import { startLoad } from './load-process.ts';
import type { Table } from './markdown-table.ts';
import { httpGet, sampleValue, sleep } from './net-util.ts';
import { CpuMeter, cpuSeconds, openFilesLimit, rssBytes } from './proc-stats.ts';
import { lineCounter } from './ingest-throughput.ts';
import { bytes, MB, num, percentile, show, summarise, type Summary } from './summary.ts';

/** What one population size measured; the pushgateway section compares against it. */
export interface SteadyResult {
  readonly nodes: number;
  readonly connections: number;
  readonly reportsPerSecond: Summary;
  readonly cpuPercent: Summary;
  /** CPU seconds per report (nodes / interval, probes not counted), bridge process. */
  readonly cpuPerReport: Summary;
  readonly rssMb: Summary;
  readonly scrapeMs: Summary;
  /** Bridge CPU across the scrape (ingest goes on meanwhile, at its small rate), ms. */
  readonly scrapeCpuMs: Summary;
  readonly scrapeBytes: Summary;
  /** The first scrape after the start (in the warm-up, not in the windows): ms and bridge CPU ms. */
  readonly firstScrape: { readonly ms: number; readonly cpuMs: number };
  /** The in-memory history at the last scrape and what it may grow to, MB: part of the RSS (no database). */
  readonly historyMb: HistoryMb;
  readonly streamMs: readonly number[];
  /** Scrapes begun right after a probe report that contained it, of all such scrapes. */
  readonly visibleInScrape: { readonly yes: number; readonly of: number };
  /** Bridge CPU (% of one core) in one more window with an unfiltered stream subscriber (a status page). */
  readonly pageCpuPercent: number;
  /** The bare line splitter under its own copy of the load, measured in the same windows (when asked for). */
  readonly floor?: SteadyFloor;
}

/** The floor: bench/line-counter.ts's splitter under the same paced load, beside the bridge. */
export interface SteadyFloor {
  readonly cpuPercent: Summary;
  readonly rssMb: Summary;
  /** Bridge CPU / splitter CPU, window by window: both see the same minutes of this shared machine. */
  readonly cpuRatio: Summary;
}

// Real agents each hold one connection; past this many, nodes share connections (see the notes).
const MAX_CONNECTIONS = 10_000;
const PROBES_PER_SECOND = 10;
/** Scrapes, one an interval, after the first and before the windows (see the call). */
const WARM_SCRAPES = 4;
export const CONNECTION_FLAGS = ['--max-connections', '30000', '--max-connections-per-source', '30000'];

/** The bridge under `nodes` agents reporting every interval, for `samples` windows of one interval each. */
export async function steadyState(
  nodes: number,
  config: BenchConfig,
  /** Extra node flags for the bridge after obsmon's own (an A/B of a flag: the last of a flag wins). */
  nodeFlags: readonly string[] = [],
  /**
   * Also run the floor, in the same windows: measured minutes apart, the splitter moved from 2.4 to
   * 4.4 % of a core between runs on this machine, more than any change to the bridge did.
   */
  withFloor = false,
): Promise<SteadyResult> {
  // Each side holds one descriptor per connection; keep a margin for everything else.
  const connections = Math.min(nodes, MAX_CONNECTIONS, openFilesLimit() - 1000);
  const bridge = await startBridge([...CONNECTION_FLAGS, '--log-level', 'warn'], nodeFlags);
  const load = await startLoad('paced', [bridge.ingestPort, connections, nodes, config.intervalMs]);
  const counter = withFloor ? await lineCounter('split') : undefined;
  const counterLoad = counter && (await startLoad('paced', [counter.port, connections, nodes, config.intervalMs]));
  const probe = await LatencyProbe.open(bridge.ingestPort, bridge.httpUrl);
  // The probe's node joins with the fleet, before the first scrape: a node new since the last scrape
  // makes the next one render and deflate the constant families again (node-exposition.ts), which the
  // first window's scrape then measured instead of a steady one.
  probe.send();
  try {
    // One full interval: every node has reported once, the JIT has warmed up. Then the first scrape
    // after the start, as Prometheus makes one every interval: it is its own figure (what an operator
    // sees once per restart), and the windows measure scrapes that had one before them.
    await sleep(config.intervalMs + (config.smoke ? 200 : 2000));
    const firstCpu = cpuSeconds(bridge.pid);
    const first = await httpGet(`${bridge.httpUrl}/metrics`, { 'accept-encoding': 'gzip' });
    const firstScrape = { ms: first.ms, cpuMs: (cpuSeconds(bridge.pid) - firstCpu) * 1000 };
    // V8 optimises the scrape's code over its first few runs, one an interval: at 10 000 nodes the
    // 2nd to 3rd scrapes cost 57–77 ms of the main thread and 86–101 ms of compiling on V8's workers,
    // from the 4th on mostly 32–47 and 13–21. The windows measure a bridge that has run for a while.
    let lastMs = first.ms;
    for (let i = 0; i < (config.smoke ? 0 : WARM_SCRAPES); i += 1) {
      await sleep(Math.max(0, config.intervalMs - lastMs));
      lastMs = (await httpGet(`${bridge.httpUrl}/metrics`, { 'accept-encoding': 'gzip' })).ms;
    }
    await sleep(Math.max(0, config.intervalMs / 2 - lastMs));
    probe.start(PROBES_PER_SECOND);
    const windows: {
      floorCpu: number | undefined;
      floorRss: number | undefined;
      cpu: number;
      wall: number;
      rss: number;
      scrapeMs: number;
      scrapeCpu: number;
      scrapeBytes: number;
      accepted: number;
      history: HistoryMb;
      at: number;
      visible: boolean;
    }[] = [];
    // The floor's ratio is a median of per-window ratios.
    const windowCount = withFloor ? config.pairedSamples : config.samples;
    for (let i = 0; i < windowCount; i += 1) {
      const meter = new CpuMeter(bridge.pid);
      const floorMeter = counter && new CpuMeter(counter.pid);
      await sleep(config.intervalMs / 2);
      // A scrape begun right after a probe report: is the report in it, and how long does it take.
      const seq = probe.send();
      const cpuBefore = cpuSeconds(bridge.pid);
      // As Prometheus scrapes: gzip accepted; the size column is what goes over the wire.
      const answer = await httpGet(`${bridge.httpUrl}/metrics`, { 'accept-encoding': 'gzip' });
      const body = gunzipSync(Buffer.from(answer.body, 'latin1')).toString();
      const scrapeCpu = cpuSeconds(bridge.pid) - cpuBefore;
      const at = performance.now();
      await sleep(Math.max(0, config.intervalMs / 2 - answer.ms));
      const { cpu, wall } = meter.read();
      const floorUsed = floorMeter?.read();
      windows.push({
        floorCpu: floorUsed && (floorUsed.cpu / floorUsed.wall) * 100,
        floorRss: counter && rssBytes(counter.pid) / MB,
        cpu,
        wall,
        rss: rssBytes(bridge.pid),
        scrapeMs: answer.ms,
        scrapeCpu,
        scrapeBytes: answer.bytes,
        accepted: sampleValue(body, 'obsmon_bridge_reports_accepted_total') ?? Number.NaN,
        history: historyMb(body),
        at,
        // The scrape is sliced and ingest goes on meanwhile: a later probe report may already be in it.
        visible: (sampleValue(body, 'obsmon_node_custom', `key="seq"`) ?? -1) >= seq,
      });
    }
    probe.stop();
    await counterLoad?.stop();
    await counter?.stop();
    const pageCpuPercent = await withStatusPage(bridge.httpUrl, async () => {
      const meter = new CpuMeter(bridge.pid);
      await sleep(config.intervalMs / 2);
      const answer = await httpGet(`${bridge.httpUrl}/metrics`, { 'accept-encoding': 'gzip' });
      await sleep(Math.max(0, config.intervalMs / 2 - answer.ms));
      const { cpu, wall } = meter.read();
      return (cpu / wall) * 100;
    });
    await sleep(200);
    // One rate over the whole run: each count is read at a scrape, whose own duration varies.
    const firstWindow = windows[0]!;
    const last = windows[windows.length - 1]!;
    const rate = ((last.accepted - firstWindow.accepted) / (last.at - firstWindow.at)) * 1000;
    return {
      nodes,
      connections,
      reportsPerSecond: summarise([windows.length > 1 ? rate : Number.NaN]),
      cpuPercent: summarise(windows.map((w) => (w.cpu / w.wall) * 100)),
      cpuPerReport: summarise(windows.map((w) => w.cpu / ((w.wall * nodes) / (config.intervalMs / 1000)))),
      rssMb: summarise(windows.map((w) => w.rss / MB)),
      scrapeMs: summarise(windows.map((w) => w.scrapeMs)),
      scrapeCpuMs: summarise(windows.map((w) => w.scrapeCpu * 1000)),
      scrapeBytes: summarise(windows.map((w) => w.scrapeBytes)),
      firstScrape,
      historyMb: last.history,
      streamMs: probe.latenciesMs,
      visibleInScrape: { yes: windows.filter((w) => w.visible).length, of: windows.length },
      pageCpuPercent,
      ...(counter && { floor: floorOf(windows) }),
    };
  } finally {
    probe.close();
    await counterLoad?.stop();
    await counter?.stop();
    await load.stop();
    await bridge.stop();
  }
}

/** Runs `measure` while a client reads the whole `/api/v1/stream`, as the status page does. */
async function withStatusPage<T>(httpUrl: string, measure: () => Promise<T>): Promise<T> {
  const abort = new AbortController();
  const res = await fetch(`${httpUrl}/api/v1/stream`, { signal: abort.signal });
  const reading = (async () => {
    try {
      for await (const _ of res.body!);
    } catch {
      // aborted
    }
  })();
  try {
    await sleep(1000);
    return await measure();
  } finally {
    abort.abort();
    await reading;
  }
}

function floorOf(
  windows: readonly { cpu: number; wall: number; floorCpu: number | undefined; floorRss: number | undefined }[],
): SteadyFloor {
  return {
    cpuPercent: summarise(windows.map((w) => w.floorCpu ?? Number.NaN)),
    rssMb: summarise(windows.map((w) => w.floorRss ?? Number.NaN)),
    cpuRatio: summarise(windows.map((w) => ((w.cpu / w.wall) * 100) / (w.floorCpu ?? Number.NaN))),
  };
}

export function steadyTable(results: readonly SteadyResult[], config: BenchConfig): Table {
  const interval = config.intervalMs / 1000;
  const floored = results.find((r) => r.floor !== undefined);
  return {
    title: `Steady state: every node reports every ${interval} s`,
    columns: [
      'server',
      'nodes',
      'connections',
      'reports/s (incl. 10 probes/s)',
      'CPU (% of one core)',
      'RSS',
      '/metrics scrape',
      'CPU of that scrape',
      '/metrics size (gzip)',
      'stream p50 / p99 / max',
      'in next scrape',
    ],
    rows: [
      ...results.map((r) => [
        'obsmon bridge',
        num(r.nodes),
        num(r.connections),
        show(r.reportsPerSecond),
        show(r.cpuPercent, ' %'),
        show(r.rssMb, ' MB'),
        show(r.scrapeMs, ' ms'),
        show(r.scrapeCpuMs, ' ms'),
        bytes(r.scrapeBytes.median),
        `${num(percentile(r.streamMs, 50))} / ${num(percentile(r.streamMs, 99))} / ${num(Math.max(...r.streamMs))} ms (${r.streamMs.length} probes)`,
        `${r.visibleInScrape.yes}/${r.visibleInScrape.of}`,
      ]),
      ...(floored?.floor === undefined
        ? []
        : [
            [
              'bare line splitter (the floor: sockets and framing only)',
              num(floored.nodes),
              num(floored.connections),
              '',
              `${show(floored.floor.cpuPercent, ' %')}; bridge/splitter ${show(floored.floor.cpuRatio, '×')}`,
              show(floored.floor.rssMb, ' MB'),
              '',
              '',
              '',
              '',
              '',
            ],
          ]),
    ],
    notes: [
      `${config.samples} windows of one interval per size (at least 5 at the size the floor runs beside), after one interval of warm-up, one scrape and ${config.smoke ? 0 : WARM_SCRAPES} more an interval apart (V8 optimises the scrape's code over its first few runs); each window contains one /metrics scrape, as Prometheus would make at a ${interval} s scrape interval (with \`Accept-Encoding: gzip\`, as Prometheus sends), so the CPU column includes rendering and compressing /metrics once per interval.`,
      `The first scrape after the start (the warm-up's, not in the columns; once per restart it also renders and deflates the constant families that later scrapes splice in kept, and builds the /metrics cache of any node the bridge had not built ahead): ${results.map((r) => `${num(r.nodes)} nodes ${num(r.firstScrape.ms)} ms (CPU ${num(r.firstScrape.cpuMs)} ms)`).join(', ')}.`,
      `The RSS column includes the in-memory history (kept without a database, 12 bytes a point), which grows with time up to \`--history-max-points\`: at the last scrape ${results.map((r) => `${num(r.nodes)} nodes ${num(r.historyMb.held)} MB`).join(', ')}, of at most ${num(results[0]?.historyMb.max ?? Number.NaN)} MB (\`obsmon_bridge_history_bytes\`, docs/storage.md).`,
      `Agents are simulated by one process (bench/push-load.ts) that spreads the reports evenly over the interval, one write per report. Up to ${num(MAX_CONNECTIONS)} nodes each have their own connection, as real agents do; above that nodes share connections (${num(MAX_CONNECTIONS)} connections), because one loopback source address has about 28 000 ephemeral ports and the descriptor limit here is ${num(openFilesLimit())}.`,
      `The bridge runs with \`${CONNECTION_FLAGS.join(' ')}\` because all simulated agents come from 127.0.0.1 (the defaults are 10 000 and 1 024); everything else is default, no database.`,
      `The bare line splitter row is bench/line-counter.ts under its own copy of the same load (a second load process), in the same windows as the bridge's run of that size (the ratio is taken window by window), compiled to JavaScript as the bridge is (bench/children.ts compiledScript) and with the bridge's node flags (\`${NODE_FLAGS.join(' ')}\`, deploy/node-flags.ts, as every bench process of obsmon's): what the runtime alone costs to take one report per packet on this many connections.`,
      `With a status page open: one more window like the others, with an unfiltered \`/api/v1/stream\` subscriber in the benchmark process reading everything (each report is then a JSON event in the window and goes out to it; the latency probe's subscriber asks for its own node only, so in the windows above the other nodes' events are not built): ${results.map((r) => `${num(r.nodes)} nodes ${num(r.pageCpuPercent)} %`).join(', ')} of one core.`,
      `Stream latency: a probe node sends ${PROBES_PER_SECOND} reports a second on its own connection; time from its write to the arrival of the event on an \`/api/v1/stream?node=probe\` subscriber in the benchmark process (same clock). "In next scrape": a scrape started right after a probe report contained the new value; the scrape column is that scrape's full duration.`,
    ],
  };
}
