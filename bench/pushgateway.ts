import type { BenchConfig } from './bench-config.ts';
import { startChild, which } from './children.ts';
import { startLoad } from './load-process.ts';
import type { Table } from './markdown-table.ts';
import { freePort, GaveUp, httpGet, sleep, waitFor } from './net-util.ts';
import { CpuMeter, rssBytes } from './proc-stats.ts';
import type { SteadyResult } from './steady-state.ts';
import { bytes, MB, num, ratio, show, summarise, type Summary } from './summary.ts';

export interface PushgatewayResult {
  readonly nodes: number;
  /** False: started with --push.disable-consistency-check. */
  readonly consistencyCheck: boolean;
  /** Groups the gateway held after the preload, and how long the preload took, s. */
  readonly groups: number;
  readonly preloadSeconds: number;
  readonly pushesPerSecond: Summary;
  readonly cpuPercent: Summary;
  readonly cpuPerPush: Summary;
  readonly pushMs: Summary;
  readonly skipped: number;
  readonly failed: number;
  readonly rssMb: Summary;
  readonly scrapeMs: Summary;
  readonly scrapeBytes: Summary;
}

// Connections the simulated agents share (keep-alive); pushes beyond 4 per socket in flight are skipped.
const SOCKETS = 32;
// Filling the gateway costs more per push as it grows; past this the population stays partial.
const PRELOAD_LIMIT_MS = 30_000;

/** The same population as the steady-state run, pushed to a real Pushgateway: one PUT per node per interval. */
export async function pushgatewayRun(
  nodes: number,
  consistencyCheck: boolean,
  config: BenchConfig,
): Promise<PushgatewayResult | undefined> {
  const binary = which('prometheus-pushgateway');
  if (binary === undefined) return undefined;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const gateway = startChild('prometheus-pushgateway', binary, [
    `--web.listen-address=127.0.0.1:${port}`,
    // Debian's build defaults to /var/lib/prometheus/pushgateway.data: it would reload the groups of
    // an earlier run (and write into a system directory). Empty = memory only.
    '--persistence.file=',
    ...(consistencyCheck ? [] : ['--push.disable-consistency-check']),
    '--log.level=warn',
  ]);
  try {
    await waitFor(
      'Pushgateway to be ready',
      async () => {
        if (gateway.exited()) throw new GaveUp(`Pushgateway exited: ${gateway.output()}`);
        return (await httpGet(`${url}/-/ready`)).status === 200;
      },
      20_000,
    );
    const loadStarted = performance.now();
    const load = await startLoad('pushgateway', [
      url,
      nodes,
      config.intervalMs,
      SOCKETS,
      config.smoke ? 10_000 : PRELOAD_LIMIT_MS,
    ]);
    const preload = performance.now() - loadStarted;
    try {
      const groups = load.counts().groups;
      await sleep(config.intervalMs + (config.smoke ? 200 : 2000));
      const windows: {
        cpu: number;
        wall: number;
        pushes: number;
        pushMs: number;
        rss: number;
        scrapeMs: number;
        scrapeBytes: number;
      }[] = [];
      for (let i = 0; i < config.samples; i += 1) {
        const meter = new CpuMeter(gateway.pid);
        const before = load.counts();
        await sleep(config.intervalMs / 2);
        const answer = await httpGet(`${url}/metrics`);
        await sleep(Math.max(0, config.intervalMs / 2 - answer.ms));
        const { cpu, wall } = meter.read();
        const after = load.counts();
        windows.push({
          cpu,
          wall,
          pushes: after.ok - before.ok,
          pushMs: after.pushMs - before.pushMs,
          rss: rssBytes(gateway.pid),
          scrapeMs: answer.ms,
          scrapeBytes: answer.bytes,
        });
      }
      const counts = load.counts();
      return {
        nodes,
        consistencyCheck,
        groups,
        preloadSeconds: preload / 1000,
        pushesPerSecond: summarise(windows.map((w) => w.pushes / w.wall)),
        cpuPercent: summarise(windows.map((w) => (w.cpu / w.wall) * 100)),
        cpuPerPush: summarise(windows.map((w) => w.cpu / w.pushes)),
        pushMs: summarise(windows.map((w) => w.pushMs / w.pushes)),
        skipped: counts.skipped,
        failed: counts.failed,
        rssMb: summarise(windows.map((w) => w.rss / MB)),
        scrapeMs: summarise(windows.map((w) => w.scrapeMs)),
        scrapeBytes: summarise(windows.map((w) => w.scrapeBytes)),
      };
    } finally {
      await load.stop();
    }
  } finally {
    await gateway.stop();
  }
}

export function pushgatewayTable(
  results: readonly PushgatewayResult[],
  bridge: readonly SteadyResult[],
  config: BenchConfig,
  missing: boolean,
): Table {
  const rows = results.map((p) => {
    const b = bridge.find((r) => r.nodes === p.nodes);
    return [
      p.consistencyCheck ? 'defaults' : '`--push.disable-consistency-check`',
      num(p.nodes),
      `${num(p.groups)} after ${num(p.preloadSeconds, 2)} s`,
      `${show(p.pushesPerSecond)} (${num(p.skipped)} skipped)`,
      show(p.cpuPercent, ' %'),
      show(summarise([p.cpuPerPush.median * 1e6]), ' µs'),
      b === undefined ? 'n/a' : show(summarise([b.cpuPerReport.median * 1e6]), ' µs'),
      b === undefined ? 'n/a' : ratio(p.cpuPerPush.median, b.cpuPerReport.median),
      show(p.rssMb, ' MB'),
      show(p.scrapeMs, ' ms'),
      bytes(p.scrapeBytes.median),
      b === undefined ? 'n/a' : `${show(b.scrapeMs, ' ms')}, ${bytes(b.scrapeBytes.median)}`,
    ];
  });
  return {
    title: 'Peer: Prometheus Pushgateway with the same population',
    columns: [
      'Pushgateway flags',
      'nodes',
      'groups held (preload)',
      'pushes/s accepted (of nodes/interval)',
      'Pushgateway CPU',
      'Pushgateway CPU per push',
      'bridge CPU per report',
      'Pushgateway / bridge',
      'Pushgateway RSS',
      'its /metrics scrape',
      'its /metrics size',
      'bridge scrape, size (same nodes)',
    ],
    rows: missing
      ? [
          [
            'not run: `prometheus-pushgateway` is not installed (Debian package prometheus-pushgateway)',
            '',
            '',
            '',
            '',
            '',
            '',
            '',
            '',
            '',
            '',
            '',
          ],
        ]
      : rows,
    notes: [
      `Debian \`prometheus-pushgateway\` 1.5.1, memory only (\`--persistence.file=\`: the Debian build otherwise loads and writes /var/lib/prometheus/pushgateway.data), started by the benchmark on loopback. Each node PUTs its 7 values once per ${config.intervalMs / 1000} s to \`/metrics/job/obsmon/instance/<node>\` in the text format, over ${SOCKETS} keep-alive connections, spread evenly over the interval: the way Pushgateway users push. Before the windows every node is pushed once as fast as the gateway answers (at most ${PRELOAD_LIMIT_MS / 1000} s), so the gateway holds the whole population; "groups held" says how far that got. A push that would be the ${SOCKETS * 4 + 1}th in flight is skipped and counted (the gateway is behind).`,
      "CPU per push/report: the process's CPU over the window divided by the pushes (reports) accepted in it; both windows include one scrape of the server's /metrics. The bridge column comes from the steady-state run above, same nodes and values.",
      'Both /metrics are fetched without `Accept-Encoding`, so neither compresses.',
      'Pushgateway 1.5 checks every push for consistency against everything it holds, so a push costs more the more groups it holds; `--push.disable-consistency-check` (documented as DANGEROUS) removes that check and is the fairer measure of its per-push cost.',
    ],
  };
}
