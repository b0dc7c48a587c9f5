import type { IngestResult } from './ingest-throughput.ts';
import type { Table } from './markdown-table.ts';
import type { PushgatewayResult } from './pushgateway.ts';
import type { RuntimeResult } from './runtime-cost.ts';
import type { SteadyResult } from './steady-state.ts';
import { num, percentile } from './summary.ts';

export interface Measured {
  readonly ingest: IngestResult;
  readonly steady: readonly SteadyResult[];
  readonly pushgateway: readonly PushgatewayResult[];
  readonly agent: {
    readonly cpuMs: number;
    readonly reportBytes: number;
    readonly rssMb: number;
    readonly children: number;
  };
  readonly runtime: RuntimeResult;
}

const TARGET_NODES = 10_000;

/** The targets against this run's medians: met, or not, with the number. */
export function targetsTable(m: Measured): Table {
  const rows: string[][] = [];
  const check = (target: string, measured: string, met: boolean | undefined) =>
    rows.push([target, measured, met === undefined ? 'not measured' : met ? 'met' : '**not met**']);
  const ratio = m.ingest.bridgeRate / m.ingest.baselineRate;
  check(
    "bridge ≥ 50 % of the bare line counter's throughput",
    `${num(ratio * 100)} % (${num(m.ingest.bridgeRate)} vs ${num(m.ingest.baselineRate)} lines/s)`,
    ratio >= 0.5,
  );
  const perCore = 1e6 / m.ingest.bridgeCpuPerMillion;
  check(
    'bridge ≥ 200 000 reports/s on one core',
    `${num(m.ingest.bridgeRate)} reports/s measured; ${num(perCore)} per CPU-second`,
    m.ingest.bridgeRate >= 200_000,
  );
  const at = m.steady.find((s) => s.nodes === TARGET_NODES);
  const label = at === undefined ? `(no ${num(TARGET_NODES)}-node run)` : '';
  check(
    `${num(TARGET_NODES)} nodes at 10 s: bridge < 5 % of one core`,
    at ? `${num(at.cpuPercent.median)} %` : label,
    at && at.cpuPercent.median < 5,
  );
  check(
    `${num(TARGET_NODES)} nodes: RSS < 300 MB`,
    at ? `${num(at.rssMb.median)} MB` : label,
    at && at.rssMb.median < 300,
  );
  check(
    `${num(TARGET_NODES)} nodes: /metrics scrape < 250 ms`,
    at ? `${num(at.scrapeMs.median)} ms` : label,
    at && at.scrapeMs.median < 250,
  );
  const p99 = at ? percentile(at.streamMs, 99) : Number.NaN;
  check(
    `${num(TARGET_NODES)} nodes: ingest-to-visible p99 < 50 ms`,
    at ? `${num(p99)} ms on the stream; ${at.visibleInScrape.yes}/${at.visibleInScrape.of} in the next scrape` : label,
    at && p99 < 50,
  );
  for (const p of m.pushgateway.filter((r) => r.nodes === TARGET_NODES)) {
    const r = at ? p.cpuPerPush.median / at.cpuPerReport.median : Number.NaN;
    const flags = p.consistencyCheck ? 'defaults' : '--push.disable-consistency-check';
    check(
      `bridge CPU per report ≥ 5× lower than Pushgateway's (${flags})`,
      at ? `${num(r, 2)}× (${num(p.cpuPerPush.median * 1e6)} vs ${num(at.cpuPerReport.median * 1e6)} µs)` : label,
      at && r >= 5,
    );
  }
  // Issue #15: the bridge at rest and with the LAMOST fleet, the agent's footprint (bench/runtime-cost.ts, agent-cost.ts).
  const rt = m.runtime;
  check(
    'idle bridge ≤ 0.1 % of one core',
    `${num(rt.idleCpuPercent.median, 2)} % (plain idle Node.js ${num(rt.plainCpuPercent.median, 2)} %, with one 1 s timer ${num(rt.tickingCpuPercent.median, 2)} %)`,
    rt.idleCpuPercent.median <= 0.1,
  );
  const fleetRatio = rt.fleetCpuPercent.median / rt.splitterCpuPercent.median;
  check(
    '100 nodes at 10 s: bridge CPU ≤ 1.5× the bare line splitter',
    `${num(fleetRatio, 2)}× (${num(rt.fleetCpuPercent.median, 2)} % vs ${num(rt.splitterCpuPercent.median, 2)} %)`,
    fleetRatio <= 1.5,
  );
  check(
    '100 nodes at 10 s: bridge RSS ≤ 60 MB',
    `${num(rt.fleetRssMb.median)} MB (idle ${num(rt.idleRssMb.median)} MB; plain Node.js ${num(rt.plainRssMb.median)} MB)`,
    rt.fleetRssMb.median <= 60,
  );
  check('agent ≤ 2 ms CPU per cycle', `${num(m.agent.cpuMs)} ms`, m.agent.cpuMs <= 2);
  check('agent RSS ≤ 50 MB', `${num(m.agent.rssMb)} MB`, m.agent.rssMb <= 50);
  check('agent: no child process on Linux', `${num(m.agent.children)} at most`, m.agent.children === 0);
  check(
    'standard report ≤ 128 bytes',
    `${num(m.agent.reportBytes)} bytes (longest seen, with \\n)`,
    m.agent.reportBytes <= 128,
  );
  return {
    title: 'Targets (issue #8)',
    columns: ['target', 'this run (median)', 'status'],
    rows,
    notes: ['The ratio rows compare medians of this run; see the tables below for the ranges.'],
  };
}
