/**
 * The whole benchmark in one run: `npm run bench` (writes docs/benchmarks.md) or `npm run bench:smoke`
 * (tiny sizes, prints only; CI runs it so the scripts never rot). Env: SAMPLES (default 3),
 * NODES (comma-separated steady-state sizes). Every child process is killed at the end, also on error.
 */
import { writeFileSync } from 'node:fs';
import { buildCli } from '../deploy/build/cli-bundle.ts';
import { agentCost } from './agent-cost.ts';
import { benchConfig } from './bench-config.ts';
import { breakdown } from './breakdown.ts';
import { stopAll } from './children.ts';
import { ingestThroughput } from './ingest-throughput.ts';
import { describeMachine } from './machine.ts';
import { renderSection, type Table } from './markdown-table.ts';
import { pushgatewayRun, pushgatewayTable, type PushgatewayResult } from './pushgateway.ts';
import { runtimeCost } from './runtime-cost.ts';
import { steadyState, steadyTable, type SteadyResult } from './steady-state.ts';
import { storage } from './storage.ts';
import { targetsTable } from './targets.ts';
import { findings, header } from './doc-text.ts';

const DOC = new URL('../docs/benchmarks.md', import.meta.url).pathname;

const smoke = process.argv.includes('--smoke');
const config = benchConfig(smoke, process.env);
const started = new Date();
const progress = (text: string) =>
  process.stderr.write(`bench: [${Math.round((Date.now() - started.getTime()) / 1000)} s] ${text}\n`);
const show = (table: Table) => process.stdout.write(`${renderSection(table)}\n`);

async function main(): Promise<number> {
  const machine = describeMachine();
  process.stdout.write(`${machine.map((l) => `- ${l}`).join('\n')}\n\n`);
  // Every obsmon process measured is bin/obsmon.js running the compiled CLI, built from these sources now.
  progress('compiling the CLI (npm run build)');
  await buildCli();

  progress('ingest throughput (bare line counter, line splitter, bridge, bridge with invalid lines)');
  const ingest = await ingestThroughput(config);
  show(ingest.table);

  const steady: SteadyResult[] = [];
  // The floor (the bare line splitter) runs beside the bridge at the largest size up to 10 000 nodes.
  const floorNodes = Math.max(...config.steadyNodes.filter((n) => n <= 10_000));
  for (const nodes of config.steadyNodes) {
    progress(`steady state, ${nodes} nodes${nodes === floorNodes ? ', with the bare line splitter beside' : ''}`);
    steady.push(await steadyState(nodes, config, [], nodes === floorNodes));
  }
  const steadyResults = steadyTable(steady, config);
  show(steadyResults);

  const peers: PushgatewayResult[] = [];
  let missing = false;
  for (const run of config.pushgatewayRuns) {
    progress(`Pushgateway, ${run.nodes} nodes${run.consistencyCheck ? '' : ', consistency check off'}`);
    const result = await pushgatewayRun(run.nodes, run.consistencyCheck, config);
    if (result === undefined) missing = true;
    else peers.push(result);
  }
  const peerTable = pushgatewayTable(peers, steady, config, missing);
  show(peerTable);

  progress('storage: InfluxDB 1.6 and VictoriaMetrics');
  const storeRun = await storage(config);
  const store = storeRun.table;
  show(store);

  progress('bridge at rest and with 100 nodes, start-up compiled and through tsx');
  const runtime = await runtimeCost(config);
  show(runtime.table);

  progress('agent cost: obsmon exporter and node_exporter');
  const agent = await agentCost(config);
  show(agent.table);

  progress('breakdown: per-report stages and /metrics rendering, in-process');
  const parts = breakdown(config);
  for (const t of parts) show(t);

  const targets = targetsTable({
    ingest,
    steady,
    pushgateway: peers,
    agent,
    runtime: runtime.result,
    storage: storeRun.results,
  });
  show(targets);

  const seconds = Math.round((Date.now() - started.getTime()) / 1000);
  progress(`done in ${seconds} s`);
  if (smoke) return 0;
  const sections = [targets, ingest.table, steadyResults, peerTable, store, runtime.table, agent.table, ...parts].map(
    renderSection,
  );
  writeFileSync(DOC, [header(started, seconds, config, machine), ...sections, findings()].join('\n'));
  progress(`wrote ${DOC}`);
  return 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  process.stderr.write(`bench: failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 1;
} finally {
  await stopAll();
}
