import { describe, expect, test } from 'vitest';
import {
  buildNodeCaches,
  NodeCacheWarmer,
  nodeExpositionChunks,
  renderNodeExposition,
} from '../../../../bridge/expose/node-exposition.ts';
import { NodeTable } from '../../../../bridge/state/node-table.ts';
import { loadThresholdsConfig, Thresholds } from '../../../../config/thresholds.ts';
import { parseLine } from '../../../../protocol/line.ts';
import { NODE_METRICS } from '../../../../protocol/metric-names.ts';
import { checkMetrics } from '../../../helpers/promtool.ts';

const NOW = 1_763_884_800_000;
const T = NOW / 1000;
const options = { downAfterMs: 60_000 };
const thresholds = new Thresholds(loadThresholdsConfig());

function tableOf(...lines: string[]): NodeTable {
  const table = new NodeTable({
    maxNodes: 100_000,
    maxSeriesPerNode: 64,
    backfillWindowSeconds: 86_400,
    futureToleranceSeconds: 60,
    enforceInventory: false,
  });
  for (const line of lines) accept(table, line);
  return table;
}

function accept(table: NodeTable, line: string, at = NOW, agent?: string): void {
  const parsed = parseLine(line);
  if (!parsed.ok) throw new Error(`${line}: ${parsed.reason}`);
  expect(table.accept(parsed.report, at, agent).ok).toBe(true);
}

/** Sample lines by metric name. */
function samples(text: string): Map<string, string[]> {
  const byName = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const name = /^[a-z_:0-9]+/.exec(line)![0];
    byName.set(name, [...(byName.get(name) ?? []), line]);
  }
  return byName;
}

describe('the node exposition', () => {
  test('is the same text as before the chunked renderer, byte for byte, for the values it had', () => {
    const table = tableOf(`ccd01 ${T} cpu=12.5 mem=43.1 disk=81.2 disk@/data=75.3 rx=123456 load1=0.52 dome=3`);
    const text = renderNodeExposition(table, thresholds, NOW, options);
    expect(text).toContain(
      '# HELP obsmon_node_up 1 if the node reported within --down-after, else 0\n# TYPE obsmon_node_up gauge\nobsmon_node_up{node="ccd01"} 1\n',
    );
    expect(text).toContain('obsmon_node_info{node="ccd01",group="default",critical="false",inventory="false"} 1\n');
    expect(text).toContain(
      'obsmon_threshold{node="ccd01",metric="cpu",severity="warning"} 85\nobsmon_threshold{node="ccd01",metric="cpu",severity="error"} 95\n',
    );
    expect(text).toContain(
      '# TYPE obsmon_node_disk_usage_percent gauge\nobsmon_node_disk_usage_percent{node="ccd01",mount="/"} 81.2\nobsmon_node_disk_usage_percent{node="ccd01",mount="/data"} 75.3\n',
    );
    expect(text).toContain(`obsmon_node_last_report_timestamp_seconds{node="ccd01"} ${T}\n`);
    expect(text).toContain('obsmon_node_custom{node="ccd01",key="dome"} 3\n');
    expect(
      text.endsWith(
        'obsmon_bridge_nodes 1\n# HELP obsmon_bridge_series Node series (key@qualifier) in the live table\n# TYPE obsmon_bridge_series gauge\nobsmon_bridge_series 7\n',
      ),
    ).toBe(true);
  });

  test('one aggregation level per name: a total and its parts never share a metric name', () => {
    const table = tableOf(
      `n1 ${T} cpu=40 cpu@0=90 cpu@1=10 rx=300 rx@eth0=100 rx@eth1=200 temp=80 temp@gpu=80 temp@cpu=60 proc_count=3 proc_count@camd=2 proc_count@teld=1 mem=20 mem@numa0=30 disk=50 disk@/data=60`,
    );
    const byName = samples(renderNodeExposition(table, thresholds, NOW, options));
    expect(byName.get('obsmon_node_cpu_usage_percent')).toEqual(['obsmon_node_cpu_usage_percent{node="n1"} 40']);
    expect(byName.get('obsmon_node_cpu_core_usage_percent')).toEqual([
      'obsmon_node_cpu_core_usage_percent{node="n1",cpu="0"} 90',
      'obsmon_node_cpu_core_usage_percent{node="n1",cpu="1"} 10',
    ]);
    expect(byName.get('obsmon_node_network_receive_bytes_per_second')).toEqual([
      'obsmon_node_network_receive_bytes_per_second{node="n1"} 300',
    ]);
    expect(byName.get('obsmon_node_network_interface_receive_bytes_per_second')).toHaveLength(2);
    expect(byName.get('obsmon_node_temperature_celsius')).toEqual(['obsmon_node_temperature_celsius{node="n1"} 80']);
    expect(byName.get('obsmon_node_sensor_temperature_celsius')).toHaveLength(2);
    expect(byName.get('obsmon_node_watched_processes')).toEqual(['obsmon_node_watched_processes{node="n1"} 3']);
    expect(byName.get('obsmon_node_named_processes')).toHaveLength(2);
    expect(byName.get('obsmon_node_device_memory_usage_percent')).toEqual([
      'obsmon_node_device_memory_usage_percent{node="n1",device="numa0"} 30',
    ]);
    // The root filesystem is one of the mounts: one name, a mount label on each.
    expect(byName.get('obsmon_node_disk_usage_percent')).toHaveLength(2);
    // So a sum per node of any one name adds like things only: every sample of a name has the same label names.
    for (const m of NODE_METRICS) {
      const labelSets = new Set(
        (byName.get(m.name) ?? []).map((l) => l.slice(0, l.lastIndexOf(' ')).replace(/="(?:[^"\\]|\\.)*"/g, '')),
      );
      expect(labelSets.size, m.name).toBeLessThanOrEqual(1);
    }
  });

  test('a value that changed, a series added and a node added after a render appear in the next one', () => {
    const table = tableOf(`n1 ${T} cpu=1 mem=2`);
    expect(renderNodeExposition(table, thresholds, NOW, options)).toContain(
      'obsmon_node_cpu_usage_percent{node="n1"} 1\n',
    );
    accept(table, `n1 ${T + 1} cpu=5 mem=2 swap=7`, NOW + 1000);
    accept(table, `n2 ${T + 1} cpu=9`, NOW + 1000);
    const text = renderNodeExposition(table, thresholds, NOW + 1000, options);
    expect(text).toContain('obsmon_node_cpu_usage_percent{node="n1"} 5\nobsmon_node_cpu_usage_percent{node="n2"} 9\n');
    expect(text).toContain('obsmon_node_swap_usage_percent{node="n1"} 7\n');
    expect(text).toContain('obsmon_threshold{node="n1",metric="swap",severity="warning"}');
    expect(text).toContain(`obsmon_node_last_report_timestamp_seconds{node="n1"} ${T + 1}\n`);
  });

  test('comes in many chunks, and stays valid while reports change the table between them', () => {
    const nodes = 3000;
    const table = tableOf(
      ...Array.from({ length: nodes }, (_, i) => `node${i} ${T} cpu=${i % 100} cpu@0=1 rx=5 temp@gpu=40`),
    );
    const chunks: Buffer[] = [];
    let pulls = 0;
    for (const ready of nodeExpositionChunks(table, thresholds, NOW, options)) {
      chunks.push(...ready);
      pulls += 1;
      // Ingest between two chunks: new values, a new series, a new node.
      accept(table, `node${pulls % nodes} ${T + pulls} cpu=50 mem=${pulls % 100}`, NOW);
      if (pulls === 5) accept(table, `late ${T} cpu=1`, NOW);
    }
    expect(pulls).toBeGreaterThan(20);
    expect(Math.max(...chunks.map((c) => c.length))).toBeLessThanOrEqual(64 * 1024);
    const text = Buffer.concat(chunks).toString();
    // Each series once: the nodes are those of the scrape's start, each family visited once.
    const lines = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    const heads = lines.map((l) => l.slice(0, l.lastIndexOf(' ')));
    expect(new Set(heads).size).toBe(heads.length);
    expect(text).not.toContain('node="late"');
    const check = checkMetrics(text);
    expect(check.output).not.toMatch(/error/i);
    expect(check.status).toBe(0);
  });

  test('obsmon_node_agent_info: the AGENT of the last report, label escaped, updated when it changes', () => {
    const table = tableOf(`plain ${T} cpu=1`);
    accept(table, `ccd01 ${T} cpu=1`, NOW, 'obsmon-exporter/0.1.0');
    // Visible ASCII may hold a quote or a backslash: escaped, never breaking the text format.
    accept(table, `odd ${T} cpu=1`, NOW, 'my"agent\\x/1');
    const text = renderNodeExposition(table, thresholds, NOW, options);
    expect(samples(text).get('obsmon_node_agent_info')).toEqual([
      'obsmon_node_agent_info{node="ccd01",agent="obsmon-exporter/0.1.0"} 1',
      'obsmon_node_agent_info{node="odd",agent="my\\"agent\\\\x/1"} 1',
    ]);
    const check = checkMetrics(text);
    expect(check.output).not.toMatch(/error/i);
    expect(check.status).toBe(0);
    // An upgraded agent: the rendered line follows, though nothing else about the node changed.
    accept(table, `ccd01 ${T + 1} cpu=1`, NOW + 1000, 'obsmon-exporter/0.2.0');
    expect(renderNodeExposition(table, thresholds, NOW + 1000, options)).toContain(
      'obsmon_node_agent_info{node="ccd01",agent="obsmon-exporter/0.2.0"} 1\n',
    );
  });
});

describe('the /metrics caches built ahead of a scrape', () => {
  const lines = (n: number) =>
    Array.from({ length: n }, (_, i) => `node${i} ${T} cpu=${i % 100} cpu@0=1 disk@/home=3 temp@gpu=40 mem=2`);
  /** Pulls of a render: the pre-pass pauses every 32 builds, so a render that builds none pulls fewer. */
  const pulls = (table: NodeTable, levels = thresholds) =>
    [...nodeExpositionChunks(table, levels, NOW, options)].length;

  test('the text is byte for byte the same whether the caches were built ahead or by the scrape', () => {
    const ahead = tableOf(...lines(300));
    const atScrape = tableOf(...lines(300));
    for (const table of [ahead, atScrape]) accept(table, `odd ${T} cpu=1 custom@x=2`, NOW, 'my"agent/1');
    let pauses = 0;
    for (const _ of buildNodeCaches(ahead, thresholds)) pauses += 1;
    // 301 builds: a pause after every 32.
    expect(pauses).toBe(Math.floor(301 / 32));
    expect(renderNodeExposition(ahead, thresholds, NOW, options)).toBe(
      renderNodeExposition(atScrape, thresholds, NOW, options),
    );
  });

  test('a scrape that builds caches pauses every 32 builds; one that finds them built does not', () => {
    const table = tableOf(...lines(300));
    const first = pulls(table);
    const second = pulls(table);
    expect(first - second).toBe(Math.floor(300 / 32));
  });

  test('the warmer builds the caches of new nodes and after a thresholds reload', () => {
    const own = new Thresholds(loadThresholdsConfig());
    const table = tableOf(...lines(100));
    // Infinite slices: a pass runs whole within poke().
    const warmer = new NodeCacheWarmer(table, () => own, Number.POSITIVE_INFINITY);
    warmer.poke();
    const built = pulls(table, own);
    expect(pulls(table, own)).toBe(built);
    // Not warmed: this render builds them.
    expect(pulls(tableOf(...lines(100)), own)).toBeGreaterThan(built);
    accept(table, `late ${T} cpu=1`, NOW);
    warmer.poke();
    expect(pulls(table, own)).toBe(built);
    const config = loadThresholdsConfig();
    own.replaceWith(new Thresholds({ ...config, defaults: { ...config.defaults, cpu: { warning: 1, error: 2 } } }));
    warmer.poke();
    expect(pulls(table, own)).toBe(built);
    const text = [...nodeExpositionChunks(table, own, NOW, options)].flat();
    expect(Buffer.concat(text).toString()).toContain(
      'obsmon_threshold{node="late",metric="cpu",severity="warning"} 1\n',
    );
    warmer.stop();
  });
});
