import { NODE_FLAGS } from '../deploy/node-flags.ts';
import type { BenchConfig } from './bench-config.ts';
import { startBridge } from './bridge-process.ts';
import { compiledScript, startChild } from './children.ts';
import { startLoad } from './load-process.ts';
import type { Table } from './markdown-table.ts';
import { freePort, httpGet, sampleValue, sleep, waitFor } from './net-util.ts';
import { CpuMeter, rssBytes } from './proc-stats.ts';
import { MB, num, percentile, ratio, show, summarise } from './summary.ts';

/** One server under flood: how to read its line count, its pid, and how to stop it. */
export interface FloodTarget {
  readonly name: string;
  readonly pid: number;
  readonly port: number;
  /** The bridge's HTTP base URL (its /healthz and /metrics are timed during the flood). */
  readonly httpUrl?: string;
  lines(): Promise<number>;
  stop(): Promise<void>;
}

export interface IngestResult {
  readonly table: Table;
  /** Median reports/s of the bridge (valid reports), of the bare line splitter and of the bare counter. */
  readonly bridgeRate: number;
  readonly splitterRate: number;
  readonly baselineRate: number;
  /** Bridge CPU seconds per million reports. */
  readonly bridgeCpuPerMillion: number;
  /** Every /healthz and /metrics answer time during the bridge's (valid reports) flood rounds, ms. */
  readonly healthzMs: readonly number[];
  readonly metricsMs: readonly number[];
  /** /metrics answer times with the same node table and no flood, ms. */
  readonly metricsIdleMs: readonly number[];
}

// Raised for the benchmark only: the default 2000 lines/s per connection would measure the budget.
export const UNLIMITED_RATE = ['--max-lines-per-second', '10000000'];

export async function lineCounter(mode: 'count' | 'split'): Promise<FloodTarget> {
  const port = await freePort();
  // Compiled and with obsmon's node flags (deploy/node-flags.ts): the floor runs as the bridge it is the floor of.
  const [command, args] = compiledScript('./line-counter.ts', [String(port), mode], NODE_FLAGS);
  const child = startChild(`line counter (${mode})`, command, args);
  let answers: ((n: number) => void)[] = [];
  let listening = false;
  child.process.stdout!.on('data', (d: Buffer) => {
    for (const line of d
      .toString()
      .split('\n')
      .filter((l) => l !== '')) {
      if (line === 'listening') listening = true;
      else answers.shift()?.(Number(line.split(' ')[0]));
    }
  });
  await waitFor('the line counter to listen', () => listening, 20_000);
  return {
    name: mode === 'count' ? 'bare line counter (newlines only)' : 'line splitter (lines as strings)',
    pid: child.pid,
    port,
    lines: () =>
      new Promise((resolve) => {
        answers.push(resolve);
        child.process.stdin!.write('\n');
      }),
    stop: async () => {
      answers = [];
      await child.stop();
    },
  };
}

async function bridgeTarget(name: string): Promise<FloodTarget> {
  const bridge = await startBridge([...UNLIMITED_RATE, '--log-level', 'error']);
  return {
    name,
    pid: bridge.pid,
    port: bridge.ingestPort,
    httpUrl: bridge.httpUrl,
    lines: async () =>
      sampleValue((await httpGet(`${bridge.httpUrl}/metrics`)).body, 'obsmon_bridge_lines_total') ?? Number.NaN,
    stop: async () => void (await bridge.stop()),
  };
}

interface FloodSample {
  readonly rate: number;
  readonly cpuPerMillion: number;
  readonly cpuPercent: number;
}

interface FloodRun {
  readonly samples: FloodSample[];
  readonly rss: number;
  /** HTTP answer times during the rounds (bridge only), ms; Infinity = no answer within 60 s. */
  readonly healthzMs: number[];
  readonly metricsMs: number[];
  /** /metrics between rounds, no flood (bridge only), ms. */
  readonly metricsIdleMs: number[];
  /** Lines the server counted = lines the generator wrote. */
  readonly complete: boolean;
}

async function flood(target: FloodTarget, config: BenchConfig, invalidPercent: number): Promise<FloodRun> {
  const load = await startLoad('flood', [target.port, config.floodConnections, config.floodNodes, invalidPercent]);
  try {
    const before = await target.lines();
    // Warm-up round (JIT, node table filled); its rate sizes the measured rounds to about floodSeconds.
    const warm = await load.round(config.smoke ? 20_000 : 200_000);
    let sent = warm.lines;
    const perRound = Math.min(30_000_000, Math.max(10_000, (warm.lines / warm.ms) * 1000 * config.floodSeconds));
    const samples: FloodSample[] = [];
    const healthzMs: number[] = [];
    const metricsMs: number[] = [];
    const metricsIdleMs: number[] = [];
    for (let i = 0; i < config.samples; i += 1) {
      if (target.httpUrl !== undefined) metricsIdleMs.push(await answerMs(`${target.httpUrl}/metrics`));
      const meter = new CpuMeter(target.pid);
      const round = load.round(perRound);
      const probes = target.httpUrl === undefined ? undefined : probeDuring(target.httpUrl, round);
      const { lines, ms } = await round;
      const { cpu } = meter.read();
      if (probes !== undefined) healthzMs.push(...(await probes));
      sent += lines;
      samples.push({
        rate: lines / (ms / 1000),
        cpuPerMillion: (cpu / lines) * 1e6,
        cpuPercent: (cpu / (ms / 1000)) * 100,
      });
    }
    // More rounds for the scrapes, outside the samples: a render would be charged to the lines. The
    // first is a warm-up, as for ingest: a bridge's first scrapes while ingest is hurried run code
    // V8 has not optimised yet, and Prometheus has scraped a running bridge many times before a flood.
    for (let i = 0; target.httpUrl !== undefined && i <= FLOOD_SCRAPES; i += 1) {
      const round = load.round(perRound);
      let over = false;
      void round.finally(() => (over = true)).catch(() => {});
      const scrape = sleep(METRICS_AT_MS).then(() => (over ? undefined : answerMs(`${target.httpUrl!}/metrics`)));
      sent += (await round).lines;
      const ms = await scrape;
      if (ms !== undefined && i > 0) metricsMs.push(ms);
    }
    return {
      samples,
      rss: rssBytes(target.pid),
      healthzMs,
      metricsMs,
      metricsIdleMs,
      complete: (await target.lines()) - before === sent,
    };
  } finally {
    await load.stop();
  }
}

// The flood is at full speed half a second into a round; /healthz is asked every quarter second from
// then on. /metrics is scraped once, in an extra round: a 10 000-node render costs the bridge as much
// as thousands of reports, which the throughput samples would count as ingest.
const PROBE_START_MS = 500;
const HEALTHZ_EVERY_MS = 250;
const METRICS_AT_MS = 1000;
/** Flood rounds with a scrape each, after one more whose scrape is not counted. */
const FLOOD_SCRAPES = 2;

/** /healthz answer times until `round` ends, ms. */
async function probeDuring(url: string, round: Promise<unknown>): Promise<number[]> {
  let over = false;
  void round.finally(() => (over = true)).catch(() => {});
  const healthz: number[] = [];
  await sleep(PROBE_START_MS);
  // A request sent while the flood runs counts even if it is answered after the last line.
  while (!over) {
    healthz.push(await answerMs(`${url}/healthz`));
    await sleep(HEALTHZ_EVERY_MS);
  }
  return healthz;
}

/** Each request as Prometheus sends it: `Accept-Encoding: gzip` (what /healthz ignores and /metrics uses). */
async function answerMs(url: string): Promise<number> {
  try {
    return (await httpGet(url, { 'accept-encoding': 'gzip' }, 60_000)).ms;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/** "p50 / max" of raw answer times; no answer within 60 s shows as 60 000. */
const answers = (values: readonly number[]): string => {
  if (values.length === 0) return 'n/a';
  const capped = values.map((ms) => (Number.isFinite(ms) ? ms : 60_000));
  return `${num(percentile(capped, 50))} / ${num(Math.max(...capped))} ms`;
};

/** Section 1: the bridge against the bare line counter, same generator, same connections. */
export async function ingestThroughput(config: BenchConfig): Promise<IngestResult> {
  const runs: { name: string; invalid: number; start: () => Promise<FloodTarget> }[] = [
    { name: 'baseline', invalid: 0, start: () => lineCounter('count') },
    { name: 'splitter', invalid: 0, start: () => lineCounter('split') },
    { name: 'bridge', invalid: 0, start: () => bridgeTarget('obsmon bridge') },
    { name: 'bridge-invalid', invalid: 2, start: () => bridgeTarget('obsmon bridge, 2 % invalid lines') },
  ];
  const results = new Map<string, { target: string } & FloodRun>();
  for (const run of runs) {
    const target = await run.start();
    try {
      results.set(run.name, { target: target.name, ...(await flood(target, config, run.invalid)) });
    } finally {
      await target.stop();
    }
  }
  const baseline = summarise(results.get('baseline')!.samples.map((s) => s.rate)).median;
  const splitter = summarise(results.get('splitter')!.samples.map((s) => s.rate)).median;
  const rows = [...results.values()].map((r) => {
    const rate = summarise(r.samples.map((s) => s.rate));
    return [
      r.target,
      show(rate, '', 3),
      show(summarise(r.samples.map((s) => s.cpuPerMillion)), ' s', 3),
      show(summarise(r.samples.map((s) => s.cpuPercent)), ' %', 3),
      `${num(r.rss / MB)} MB`,
      ratio(rate.median, baseline),
      ratio(rate.median, splitter),
      answers(r.healthzMs),
      answers(r.metricsMs),
      answers(r.metricsIdleMs),
      r.complete ? 'yes' : '**no**',
    ];
  });
  const bridgeRun = results.get('bridge')!;
  const bridge = bridgeRun.samples;
  return {
    table: {
      title: 'Ingest throughput',
      columns: [
        'server',
        'lines/s',
        'CPU-s per million lines',
        'server CPU',
        'RSS at end',
        'vs bare counter',
        'vs bare splitter',
        'HTTP /healthz during the flood (p50 / max)',
        '/metrics during the flood',
        '/metrics, no flood',
        'every line counted',
      ],
      rows,
      notes: [
        `Each sample is one round: the generator process opens ${config.floodConnections} connections, writes a fixed number of standard reports of ${num(config.floodNodes)} nodes in 64 KB writes as fast as the server reads them, and half-closes; the server closing its side means it has read every line. Rate = lines / (first write → last close); a warm-up round of the same kind sizes the rounds to about ${config.floodSeconds} s. ${config.samples} rounds, median and range.`,
        '"Every line counted": the server\'s own count (obsmon_bridge_lines_total, or the counter\'s) grew by exactly the lines written.',
        `"HTTP /healthz during the flood": from ${PROBE_START_MS / 1000} s into each round until its end, one request every ${HEALTHZ_EVERY_MS} ms after the previous answer; "/metrics during the flood": one scrape ${METRICS_AT_MS / 1000} s into each of ${FLOOD_SCRAPES} extra rounds of the same size (not in the samples), after one more such round whose scrape is not counted (a warm-up, as for ingest); "/metrics, no flood": one scrape before each round, same node table (the render's own cost). Every request carries \`Accept-Encoding: gzip\`, as Prometheus sends. Median and maximum over every answer of every round (60 000 ms = no answer within 60 s).`,
        'The bridge shares a line budget per event-loop turn among all agent connections (bridge/ingest/turn-budget.ts): once it is spent the connections with lines left pause until the next turn, so HTTP is served between turns.',
        'The bridge runs with `--max-lines-per-second 10000000`: the default budget of 2000 lines/s per connection would pause each of these connections at 2000 lines/s and measure the budget, not the bridge.',
        'Server CPU above 100 % is V8 garbage collection and libuv threads beside the single JavaScript thread.',
        'The invalid mix has bad values, bad keys, HTTP and JSON text and too-old timestamps, with ERR replies on (the generator reads them).',
      ],
    },
    bridgeRate: summarise(bridge.map((s) => s.rate)).median,
    splitterRate: splitter,
    baselineRate: baseline,
    bridgeCpuPerMillion: summarise(bridge.map((s) => s.cpuPerMillion)).median,
    healthzMs: bridgeRun.healthzMs,
    metricsMs: bridgeRun.metricsMs,
    metricsIdleMs: bridgeRun.metricsIdleMs,
  };
}
