import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  canonicalKey,
  keyKind,
  MAX_QUALIFIER_LENGTH,
  NODE_PATTERN,
  QUALIFIER_PATTERN,
  RESERVED_KEYS,
} from '../../protocol/keys.ts';
import { checkMetrics } from '../helpers/promtool.ts';
import { influxQl, startInfluxd, type RealServer } from '../../testkit/real-servers.ts';
import { SseClient } from '../helpers/sse-client.ts';
import { sendAndClose } from '../helpers/tcp-client.ts';
import { defaultBridgeOptions, sampleValue, startTestBridge, type TestBridge } from '../helpers/test-bridge.ts';
import { waitFor } from '../helpers/wait-for.ts';

/**
 * The guard of issue 13: every name that means something to JavaScript objects, to the storage
 * layout, to the exposition or to RTS2, as node, key and qualifier, and every documented limit at and
 * one past it, through a real bridge writing to a real InfluxDB 1.6. Afterwards the bridge must still
 * be what a normal node relies on: a /metrics that promtool accepts (one sample per series), the
 * node in /api/v1/nodes, its history from the database, and its events on the stream.
 */
const PROTOTYPE_NAMES = [...new Set([...Object.getOwnPropertyNames(Object.prototype), '__proto__', 'prototype'])];
const LAYOUT_NAMES = [
  // InfluxDB: tags, measurements, the time column, InfluxQL words.
  ...RESERVED_KEYS,
  'time',
  'node',
  'cpu',
  'obsmon_node',
  'obsmon_device',
  'measurement',
  'field',
  'tag',
  'select',
  'where',
  // Prometheus: the exposition's labels and the ones Prometheus and its histograms add.
  'metric',
  'severity',
  'key',
  'group',
  'critical',
  'inventory',
  'le',
  'quantile',
  'job',
  'instance',
  '__name__',
  'up',
  // RTS2: the device's own value names.
  'infotime',
  'uptime',
  'nodes',
  'worst',
  'worst_cpu',
  'disk_warning',
  'disk_error',
];
const NAMES = [...new Set([...PROTOTYPE_NAMES, ...LAYOUT_NAMES])];

const MAX_NODES = 120;
const defaults = defaultBridgeOptions();
const DB = 'obsmon_sweep';

let influx: RealServer;
let bridge: TestBridge;
let stream: SseClient;
const t = Math.floor(Date.now() / 1000) - 30;

/** One line on its own connection; the bridge's reply (`ERR <reason>`), or '' when it took the line. */
async function send(line: string): Promise<string> {
  return (await sendAndClose(bridge.ingestPort, `${line}\n`)).trim();
}

/** What the decoder must say about a sample name, as the protocol's own rules have it. */
function verdict(node: string, samples: ReadonlyArray<{ key: string; qualifier?: string }>): string {
  if (!NODE_PATTERN.test(node)) return 'ERR bad_node';
  for (const { key, qualifier } of samples) {
    const kind = keyKind(canonicalKey(key));
    if (kind === 'invalid') return 'ERR bad_key';
    if (kind === 'reserved') return 'ERR reserved_key';
    if (qualifier !== undefined && !QUALIFIER_PATTERN.test(qualifier)) return 'ERR bad_key';
  }
  return '';
}

const NORMAL = (at: number) => `ccd01 ${at} cpu=12.5 mem=43.1 disk=81.2 disk@/data=75.3 rx@eth0=1200 dome_rh=40`;

beforeAll(async () => {
  influx = await startInfluxd();
  await influxQl(influx, `CREATE DATABASE ${DB}`);
  bridge = await startTestBridge({
    influxUrl: influx.url,
    influxDb: DB,
    influxFlushInterval: 0.05,
    maxNodes: MAX_NODES,
  });
  stream = await SseClient.open(`${bridge.httpUrl}/api/v1/stream`);
  expect(await send(NORMAL(t))).toBe('');
}, 60_000);

afterAll(async () => {
  stream?.close();
  await bridge?.stop();
  await influx?.dispose();
});

describe('hostile names and limit edges through a real bridge and InfluxDB 1.6', () => {
  test("every hostile name as node, key and qualifier gets the protocol's verdict", async () => {
    const outcomes: Array<[string, string, string]> = [];
    const expectLine = async (node: string, samples: Array<{ key: string; qualifier?: string; value: number }>) => {
      const line = `${node} ${t} ${samples.map((s) => `${s.key}${s.qualifier === undefined ? '' : `@${s.qualifier}`}=${s.value}`).join(' ')}`;
      outcomes.push([line, await send(line), verdict(node, samples)]);
    };
    for (const name of NAMES) {
      await expectLine(name, [
        { key: 'cpu', value: 5 },
        { key: 'dome_rh', value: 1 },
      ]);
      await expectLine('sweep-keys', [{ key: name, value: 2 }]);
      await expectLine('sweep-keys', [{ key: name, qualifier: 'q', value: 3 }]);
      await expectLine('sweep-quals', [
        { key: 'disk', qualifier: name, value: 4 },
        { key: 'rx', qualifier: name, value: 5 },
        { key: 'dome_rh', qualifier: name, value: 6 },
      ]);
    }
    expect(outcomes.filter(([, got, want]) => got !== want)).toEqual([]);
    // The names that started issue 13 are taken, and the storage layout's are refused.
    expect(outcomes.find(([line]) => line === `sweep-keys ${t} constructor=2`)?.[1]).toBe('');
    for (const name of ['node', 'time', 'device'])
      expect(outcomes.find(([line]) => line === `sweep-keys ${t} ${name}@q=3`)?.[1]).toBe('ERR reserved_key');
  });

  test('aliases of one series are one series: disk and disk@/', async () => {
    expect(await send(`dup02 ${t} disk=10 disk@/=20`)).toBe('ERR duplicate_key');
    expect(await send(`dup03 ${t} disk=10`)).toBe('');
    expect(await send(`dup03 ${t + 1} disk@/=20`)).toBe('');
    const metrics = await bridge.metricsText();
    expect(metrics.split('\n').filter((l) => l.startsWith('obsmon_node_disk_usage_percent{node="dup03"'))).toEqual([
      'obsmon_node_disk_usage_percent{node="dup03",mount="/"} 20',
    ]);
  });

  test('every documented limit of docs/protocol.md, at it and one past it', async () => {
    const at = {
      node: 'n'.repeat(64),
      key: `k${'x'.repeat(31)}`,
      qualifier: 'q'.repeat(MAX_QUALIFIER_LENGTH),
    };
    const lineOf = (bytes: number) => {
      const head = `limit-line ${t} cpu=1 pad=0.`;
      return `${head}${'1'.repeat(bytes - head.length)}`;
    };
    const nowSeconds = Math.floor(Date.now() / 1000);
    const customKeys = (n: number) => Array.from({ length: n }, (_, i) => `c${i}=1`).join(' ');
    const series = (n: number) => Array.from({ length: n }, (_, i) => `cpu@${i}=1`).join(' ');
    const cases: Array<[string, string, string]> = [
      ['node name of 64 characters', `${at.node} ${t} cpu=1`, ''],
      ['node name of 65 characters', `${at.node}n ${t} cpu=1`, 'ERR bad_node'],
      ['key of 32 characters', `limit-key ${t} ${at.key}=1`, ''],
      ['key of 33 characters', `limit-key ${t} ${at.key}x=1`, 'ERR bad_key'],
      ['qualifier of 64 characters', `limit-key ${t} disk@${at.qualifier}=1`, ''],
      ['qualifier of 65 characters', `limit-key ${t} disk@${at.qualifier}q=1`, 'ERR bad_key'],
      [`line of --max-line-bytes (${defaults.maxLineBytes})`, lineOf(defaults.maxLineBytes), ''],
      ['line one byte longer', lineOf(defaults.maxLineBytes + 1), 'ERR too_long'],
      [
        `--max-custom-keys-per-node (${defaults.maxCustomKeysPerNode}) custom keys`,
        `limit-custom ${t} ${customKeys(defaults.maxCustomKeysPerNode)}`,
        '',
      ],
      [
        'one custom key more',
        `limit-custom ${t} ${customKeys(defaults.maxCustomKeysPerNode + 1)}`,
        'ERR too_many_series',
      ],
      [
        `--max-series-per-node (${defaults.maxSeriesPerNode}) series`,
        `limit-series ${t} ${series(defaults.maxSeriesPerNode)}`,
        '',
      ],
      ['one series more', `limit-series ${t} ${series(defaults.maxSeriesPerNode + 1)}`, 'ERR too_many_series'],
      // The backfill window is judged on the bridge's clock as the line arrives: a margin, not one second.
      ['a report just inside --backfill-window', `limit-old ${nowSeconds - defaults.backfillWindow + 60} cpu=1`, ''],
      [
        'a report just outside --backfill-window',
        `limit-old ${nowSeconds - defaults.backfillWindow - 60} cpu=1`,
        'ERR too_old',
      ],
    ];
    expect(Buffer.byteLength(lineOf(defaults.maxLineBytes))).toBe(defaults.maxLineBytes);
    const outcomes = [];
    for (const [name, line, want] of cases) outcomes.push({ name, got: await send(line), want });
    expect(outcomes.filter((o) => o.got !== o.want)).toEqual([]);

    // --max-nodes: fill the table to the limit; one node more is refused, known nodes go on.
    const size = () => bridge.metricsText().then((m) => sampleValue(m, 'obsmon_bridge_nodes', '')!);
    for (let i = 0, n = await size(); n < MAX_NODES; i += 1, n += 1)
      expect(await send(`fill-${i} ${t} cpu=1`)).toBe('');
    expect(await size()).toBe(MAX_NODES);
    expect(await send(`one-node-too-many ${t} cpu=1`)).toBe('ERR too_many_nodes');
  });

  test('afterwards the bridge serves a normal node as before: /metrics, nodes API, history from InfluxDB, stream', async () => {
    expect(await send(NORMAL(t + 1))).toBe('');

    const metrics = await bridge.metricsText();
    const check = checkMetrics(metrics);
    expect(check.output).toBe('');
    expect(check.status).toBe(0);
    // One sample per series: promtool does not catch duplicates, Prometheus silently keeps one.
    const series = metrics
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'))
      .map((l) => l.slice(0, l.lastIndexOf(' ')));
    expect(series.filter((s, i) => series.indexOf(s) !== i)).toEqual([]);
    expect(sampleValue(metrics, 'obsmon_node_cpu_usage_percent', 'node="ccd01"')).toBe(12.5);
    expect(sampleValue(metrics, 'obsmon_node_disk_usage_percent', 'node="ccd01",mount="/data"')).toBe(75.3);
    expect(sampleValue(metrics, 'obsmon_threshold', 'node="ccd01",metric="disk",severity="warning"')).toBe(80);

    const { nodes } = await bridge.nodesJson();
    const normal = nodes.find((n) => n['node'] === 'ccd01') as
      { up: boolean; metrics: Array<{ key: string; qualifier: string | null; value: number }> } | undefined;
    expect(normal?.up).toBe(true);
    expect(normal?.metrics).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ key: 'cpu', qualifier: null, value: 12.5 }),
        expect.objectContaining({ key: 'disk', qualifier: '/data', value: 75.3 }),
      ]),
    );
    // Every hostile node name that is a valid node is a node like any other, also by its own URL.
    for (const name of NAMES.filter((n) => NODE_PATTERN.test(n))) {
      const res = await fetch(`${bridge.httpUrl}/api/v1/nodes/${encodeURIComponent(name)}`);
      expect(res.status, name).toBe(200);
      expect(((await res.json()) as { node: string }).node, name).toBe(name);
    }

    await bridge.store.flush();
    const history = async (node: string, metric: string) => {
      const res = await fetch(
        `${bridge.httpUrl}/api/v1/nodes/${encodeURIComponent(node)}/history?metric=${encodeURIComponent(metric)}&from=${t - 1}&to=${t + 2}`,
      );
      expect(res.status, `${node} ${metric}`).toBe(200);
      return (await res.json()) as { source: string; points: Array<[number, number]> };
    };
    expect(await history('ccd01', 'cpu')).toMatchObject({
      source: 'influxdb',
      points: [
        [t, 12.5],
        [t + 1, 12.5],
      ],
    });
    expect((await history('ccd01', 'disk@/data')).points).toEqual([
      [t, 75.3],
      [t + 1, 75.3],
    ]);
    expect((await history('ccd01', 'dome_rh')).points).toEqual([
      [t, 40],
      [t + 1, 40],
    ]);
    expect((await history('sweep-keys', 'constructor')).points).toEqual([[t, 2]]);
    expect((await history('constructor', 'cpu')).points).toEqual([[t, 5]]);
    expect((await history('sweep-quals', 'rx@__proto__')).points).toEqual([[t, 5]]);
    // Nothing an agent sent became a field named like a tag, or `time`.
    const fields = await influxQl(influx, 'SHOW FIELD KEYS', DB);
    const fieldNames = fields.results[0]?.series?.flatMap((s) => s.values.map((v) => String(v[0]))) ?? [];
    for (const name of RESERVED_KEYS) expect(fieldNames, name).not.toContain(name);

    const event = await waitFor(
      "the normal node's newest report on the stream",
      () =>
        stream
          .ofType('report')
          .map((e) => JSON.parse(e.data) as { node: string; timestamp: number; values: Record<string, number> })
          .find((r) => r.node === 'ccd01' && r.timestamp === t + 1),
      10_000,
    );
    expect(new Map(Object.entries(event.values)).get('disk@/data')).toBe(75.3);
    // The hostile reports went out as well-formed events too.
    const nodesOnStream = new Set(stream.ofType('report').map((e) => (JSON.parse(e.data) as { node: string }).node));
    for (const name of PROTOTYPE_NAMES) expect(nodesOnStream.has(name), name).toBe(true);
  });
});
