import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { deliver } from '../../bridge/store/deliver.ts';
import type { WriteEndpoint } from '../../bridge/store/endpoint.ts';
import { InfluxV1Endpoint } from '../../bridge/store/influx-v1-endpoint.ts';
import { networkWriteError, reasonOfStatus, WriteError } from '../../bridge/store/write-error.ts';
import { checkMetrics } from '../helpers/promtool.ts';
import { influxQl, startInfluxd, type RealServer } from '../../testkit/real-servers.ts';
import { sendAndClose } from '../helpers/tcp-client.ts';
import { sampleValue, startTestBridge, type TestBridge } from '../helpers/test-bridge.ts';
import { waitFor } from '../helpers/wait-for.ts';

let influx: RealServer;
let bridge: TestBridge | undefined;
const dirs: string[] = [];
let dbCount = 0;

beforeAll(async () => {
  influx = await startInfluxd();
});
afterAll(async () => {
  await influx?.dispose();
});
afterEach(async () => {
  await bridge?.stop();
  bridge = undefined;
  if (!influx.running) await influx.start();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh database per test, so counts never mix. */
async function freshDb(): Promise<string> {
  dbCount += 1;
  const db = `obsmon_${dbCount}`;
  await influxQl(influx, `CREATE DATABASE ${db}`);
  return db;
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'obsmon-store-'));
  dirs.push(dir);
  return dir;
}

async function select(db: string, q: string): Promise<unknown[][]> {
  const json = await influxQl(influx, q, db);
  return json.results[0]?.series?.flatMap((s) => s.values) ?? [];
}

const now = () => Math.floor(Date.now() / 1000);

describe('storage to InfluxDB 1.6 (/write)', () => {
  test('every accepted report is a point: measurement per kind, node and qualifier tags, float fields, agent time', async () => {
    const db = await freshDb();
    bridge = await startTestBridge({ influxUrl: influx.url, influxDb: db, influxFlushInterval: 0.05 });
    const t = now() - 30;
    await sendAndClose(
      bridge.ingestPort,
      `ccd01 ${t}.75 cpu=12.5 mem=43 disk=81.2 disk@/data=75.3 rx@eth0=1200 tx@eth0=80 dome_rh=40\n`,
    );
    await bridge.store.flush();
    expect(await select(db, 'SELECT "node", "cpu", "mem", "disk", "dome_rh" FROM "obsmon_node"')).toEqual([
      [t, 'ccd01', 12.5, 43, 81.2, 40],
    ]);
    expect(await select(db, 'SELECT "node", "mount", "disk" FROM "obsmon_mount"')).toEqual([
      [t, 'ccd01', '/data', 75.3],
    ]);
    expect(await select(db, 'SELECT "node", "interface", "rx", "tx" FROM "obsmon_interface"')).toEqual([
      [t, 'ccd01', 'eth0', 1200, 80],
    ]);
    // `mem=43` is stored as a float, like every field, so a later 43.5 can never conflict.
    expect(await select(db, 'SHOW FIELD KEYS FROM "obsmon_node"')).toContainEqual(['mem', 'float']);
  });

  test('re-sending a report overwrites its point: replay is idempotent', async () => {
    const db = await freshDb();
    bridge = await startTestBridge({ influxUrl: influx.url, influxDb: db, influxFlushInterval: 0.05 });
    const t = now() - 60;
    const line = `n1 ${t} cpu=1 disk@/data=2\n`;
    for (let i = 0; i < 3; i += 1) {
      await sendAndClose(bridge.ingestPort, line);
      await bridge.store.flush();
    }
    expect(await select(db, 'SELECT count("cpu") FROM "obsmon_node"')).toEqual([[0, 1]]);
    expect(await select(db, 'SELECT count("disk") FROM "obsmon_mount"')).toEqual([[0, 1]]);
  });

  test('the history route reads InfluxDB with InfluxQL', async () => {
    const db = await freshDb();
    bridge = await startTestBridge({ influxUrl: influx.url, influxDb: db, influxFlushInterval: 0.05 });
    const t = now() - 100;
    await sendAndClose(
      bridge.ingestPort,
      [0, 10, 20, 30].map((d, i) => `h1 ${t + d} cpu=${i} disk@C:\\=${50 + i}`).join('\n') + '\n',
    );
    await bridge.store.flush();
    const res = await fetch(`${bridge.httpUrl}/api/v1/nodes/h1/history?metric=cpu&from=${t + 5}&to=${t + 30}`);
    expect(await res.json()).toEqual({
      node: 'h1',
      metric: 'cpu',
      from: t + 5,
      to: t + 30,
      source: 'influxdb',
      points: [
        [t + 10, 1],
        [t + 20, 2],
        [t + 30, 3],
      ],
    });
    const disk = (await (
      await fetch(
        `${bridge.httpUrl}/api/v1/nodes/h1/history?metric=${encodeURIComponent('disk@C:\\')}&from=${t}&to=${t + 30}`,
      )
    ).json()) as { points: unknown[] };
    expect(disk.points).toEqual([
      [t, 50],
      [t + 10, 51],
      [t + 20, 52],
      [t + 30, 53],
    ]);
    const bad = await fetch(`${bridge.httpUrl}/api/v1/nodes/h1/history?metric=cpu%22%3B`);
    expect(bad.status).toBe(400);
  });

  test('history of a series whose tag shares its field name (cpu@3 in obsmon_cpu), and despite a stray node field', async () => {
    const db = await freshDb();
    // A field named like the node tag, as a bridge before reserved_key let `node=1` write.
    await fetch(`${influx.url}/write?db=${db}&precision=s`, {
      method: 'POST',
      body: `obsmon_node,node=evil01 node=1 ${now() - 500}`,
    });
    bridge = await startTestBridge({ influxUrl: influx.url, influxDb: db, influxFlushInterval: 0.05 });
    const t = now() - 100;
    await sendAndClose(
      bridge.ingestPort,
      `c1 ${t} cpu=7 cpu@3=42 constructor=5\nevil01 ${t} node=1 time=2 device@y=3\n`,
    );
    await bridge.store.flush();
    const history = async (metric: string) =>
      (
        (await (
          await fetch(
            `${bridge!.httpUrl}/api/v1/nodes/c1/history?metric=${encodeURIComponent(metric)}&from=${t - 1}&to=${t + 1}`,
          )
        ).json()) as { points: unknown[] }
      ).points;
    expect(await history('cpu@3')).toEqual([[t, 42]]);
    expect(await history('cpu')).toEqual([[t, 7]]);
    expect(await history('constructor')).toEqual([[t, 5]]);
    // The reserved keys never reached the database.
    expect(await select(db, 'SHOW FIELD KEYS FROM "obsmon_device"')).toEqual([]);
    expect(
      sampleValue(
        await (await fetch(`${bridge.httpUrl}/metrics`)).text(),
        'obsmon_bridge_rejected_lines_total',
        'reason="reserved_key"',
      ),
    ).toBe(1);
  });

  test('a field type conflict (400 partial write) puts exactly that line in the dead letter and does not block the rest', async () => {
    const db = await freshDb();
    // Someone else's integer field with the name of a custom key.
    await fetch(`${influx.url}/write?db=${db}&precision=s`, {
      method: 'POST',
      body: `obsmon_node,node=legacy dome=1i ${now() - 500}`,
    });
    const spoolDir = tempDir();
    bridge = await startTestBridge({ influxUrl: influx.url, influxDb: db, spoolDir, influxFlushInterval: 0.05 });
    const t = now() - 200;
    const lines = Array.from({ length: 40 }, (_, i) =>
      i === 17 ? `n${i % 4} ${t + i} cpu=1 dome=5` : `n${i % 4} ${t + i} cpu=${i} disk@/data=${i}`,
    );
    await sendAndClose(bridge.ingestPort, `${lines.join('\n')}\n`);
    await bridge.store.flush();
    const deadLetter = readFileSync(join(spoolDir, 'dead-letter.lp'), 'latin1').split('\n');
    expect(deadLetter[0]).toMatch(
      /^# \d{4}-\d\d-\d\dT.* HTTP 400: partial write: field type conflict: input field "dome" on measurement "obsmon_node" is type float, already exists as type integer/,
    );
    expect(deadLetter.slice(1)).toEqual([`obsmon_node,node=n1 cpu=1,dome=5 ${t + 17}`, '']);
    expect(await select(db, 'SELECT count("cpu") FROM "obsmon_node"')).toEqual([[0, 39]]);
    expect(await select(db, 'SELECT count("disk") FROM "obsmon_mount"')).toEqual([[0, 39]]);
    const text = await bridge.metricsText();
    expect(sampleValue(text, 'obsmon_bridge_storage_points_dead_lettered_total', '')).toBe(1);
    expect(sampleValue(text, 'obsmon_bridge_storage_write_failures_total', 'reason="rejected"')).toBeGreaterThan(1);
    expect(sampleValue(text, 'obsmon_bridge_spool_points', '')).toBe(0);
  });

  test('unparsable lines in a batch are bisected out by real 400s; every good line is written', async () => {
    const db = await freshDb();
    const endpoint = new InfluxV1Endpoint({ url: influx.url, db, timeoutMs: 5000 });
    const t = now() - 300;
    const lines = Array.from({ length: 1000 }, (_, i) => `m,node=n${i % 10} v=${i} ${t + i}`);
    lines[3] = 'garbage without fields';
    lines[500] = 'm,node=x v=1 not-a-time';
    lines[998] = 'm,node=x,mount=C:\\ v=1 1';
    let requests = 0;
    const deadLetters: Array<{ lines: readonly string[]; reason: string }> = [];
    await deliver(endpoint, lines, {
      written: () => (requests += 1),
      failed: () => (requests += 1),
      deadLetter: (l, reason) => deadLetters.push({ lines: l, reason }),
    });
    expect(deadLetters.map((d) => d.lines[0])).toEqual([lines[3], lines[500], lines[998]]);
    expect(deadLetters.every((d) => d.reason.startsWith('HTTP 400: '))).toBe(true);
    expect(await select(db, 'SELECT count("v") FROM "m"')).toEqual([[0, 997]]);
    expect(requests).toBeLessThanOrEqual(2 * 3 * 10 + 1);
  });

  test('a control byte in a refused line (echoed in X-Influxdb-Error) is a 400, not an outage: bisected out, the rest written', async () => {
    // InfluxDB echoes the refused line in a header; with \x07 there a strict HTTP parser failed
    // before reading the status, the writer saw "unreachable" and retried the spool head forever.
    const db = await freshDb();
    const spoolDir = tempDir();
    const t = now() - 2000;
    const good = Array.from({ length: 300 }, (_, i) => `obsmon_node,node=cb${i % 5} cpu=${i} ${t + i}`);
    // An old or damaged segment: the protocol codec refuses control bytes, so only the spool can hold one.
    writeFileSync(
      join(spoolDir, 'segment-000000000001.lp'),
      [...good.slice(0, 137), 'garbage\x07line', ...good.slice(137)].join('\n') + '\n',
      'latin1',
    );
    bridge = await startTestBridge({ influxUrl: influx.url, influxDb: db, spoolDir, influxFlushInterval: 0.05 });
    await sendAndClose(bridge.ingestPort, `live01 ${t + 500} cpu=1\n`);
    await waitFor('the spool to drain', () => bridge!.store.pending === 0, 20_000, 50);
    expect(await select(db, 'SELECT count("cpu") FROM "obsmon_node" WHERE "node" =~ /^cb/')).toEqual([[0, 300]]);
    expect(await select(db, 'SELECT "cpu" FROM "obsmon_node" WHERE "node" = \'live01\'')).toEqual([[t + 500, 1]]);
    const deadLetter = readFileSync(join(spoolDir, 'dead-letter.lp'), 'latin1').split('\n');
    expect(deadLetter[0]).toMatch(/HTTP 400: .*unable to parse 'garbage\\x07line'/);
    expect(deadLetter[1]).toBe('garbage\x07line');
    const text = await bridge.metricsText();
    expect(sampleValue(text, 'obsmon_bridge_storage_points_dead_lettered_total', '')).toBe(1);
    expect(sampleValue(text, 'obsmon_bridge_storage_write_failures_total', 'reason="unreachable"')).toBe(0);
    expect(sampleValue(text, 'obsmon_bridge_storage_up', '')).toBe(1);
  });

  test('even through a strict HTTP parser (fetch), which cannot read that answer, the writer isolates the line', async () => {
    // The writer must not depend on the endpoint's lenient parser: an unparsable answer is bisected
    // and the line dead-lettered once the rest of the batch proved the server takes lines.
    const db = await freshDb();
    const strict: WriteEndpoint = {
      description: 'fetch (strict parser)',
      async send(lines) {
        let res: Response;
        try {
          res = await fetch(`${influx.url}/write?db=${db}&precision=s`, { method: 'POST', body: lines.join('\n') });
        } catch (error) {
          throw networkWriteError(error, 5000);
        }
        await res.text();
        if (!res.ok) throw new WriteError(reasonOfStatus(res.status), `HTTP ${res.status}`, res.status);
      },
    };
    const t = now() - 2500;
    const lines = Array.from({ length: 300 }, (_, i) => `obsmon_node,node=st${i % 5} cpu=${i} ${t + i}`);
    lines.splice(211, 0, 'garbage\x07line');
    const reasons: string[] = [];
    const deadLetters: string[] = [];
    await deliver(strict, lines, {
      written: () => {},
      failed: (e) => reasons.push(e.reason),
      deadLetter: (l) => deadLetters.push(...l),
    });
    expect(deadLetters).toEqual(['garbage\x07line']);
    expect(new Set(reasons)).toEqual(new Set(['bad_response']));
    expect(await select(db, 'SELECT count("cpu") FROM "obsmon_node"')).toEqual([[0, 300]]);
  });

  test('a database outage spools to disk; after the restart the spool drains and every point is there once', async () => {
    const db = await freshDb();
    const spoolDir = tempDir();
    bridge = await startTestBridge({
      influxUrl: influx.url,
      influxDb: db,
      spoolDir,
      influxFlushInterval: 0.05,
      spoolFsyncInterval: 0.05,
    });
    const t = now() - 1000;
    const send = (from: number, n: number) =>
      sendAndClose(
        bridge!.ingestPort,
        Array.from({ length: n }, (_, i) => `o${i % 3} ${t + from + i} cpu=${i}\n`).join(''),
      );
    await send(0, 30);
    await bridge.store.flush();
    await influx.stop('SIGKILL');
    await send(30, 60);
    await bridge.store.flush();
    let text = await waitFor('points in the spool', async () => {
      const m = await bridge!.metricsText();
      return (sampleValue(m, 'obsmon_bridge_spool_points', '') ?? 0) >= 60 ? m : undefined;
    });
    expect(sampleValue(text, 'obsmon_bridge_storage_up', '')).toBe(0);
    expect(sampleValue(text, 'obsmon_bridge_spool_oldest_timestamp_seconds', '')).toBe(t + 30);
    expect(sampleValue(text, 'obsmon_bridge_storage_write_failures_total', 'reason="unreachable"')).toBeGreaterThan(0);
    await influx.start();
    await send(90, 30);
    await waitFor('the spool to drain', () => bridge!.store.pending === 0, 15_000, 50);
    expect(await select(db, 'SELECT count("cpu") FROM "obsmon_node"')).toEqual([[0, 120]]);
    text = await bridge.metricsText();
    expect(sampleValue(text, 'obsmon_bridge_storage_up', '')).toBe(1);
    expect(sampleValue(text, 'obsmon_bridge_spool_points', '')).toBe(0);
    expect(sampleValue(text, 'obsmon_bridge_spool_oldest_timestamp_seconds', '')).toBe(0);
    const check = checkMetrics(text);
    expect(check.status, check.output).toBe(0);
  });

  test('past --spool-max-bytes the oldest spooled points are dropped, counted, and the rest still arrives', async () => {
    const db = await freshDb();
    const spoolDir = tempDir();
    const maxBytes = 1 << 20;
    bridge = await startTestBridge({
      influxUrl: influx.url,
      influxDb: db,
      spoolDir,
      spoolMaxBytes: maxBytes,
      influxFlushInterval: 0.05,
      maxLinesPerSecond: 1_000_000,
    });
    await influx.stop('SIGKILL');
    const t = now() - 20_000;
    const reports = 8000;
    await sendAndClose(
      bridge.ingestPort,
      Array.from(
        { length: reports },
        (_, i) =>
          `lim${i % 8} ${t + i} cpu=1 mem=2 swap=3 load1=4 load5=5 load15=6 procs=${i} uptime=${i} disk@/data=7 rx@eth0=8 tx@eth0=9\n`,
      ).join(''),
    );
    await bridge.store.flush();
    const text = await bridge.metricsText();
    const dropped = sampleValue(text, 'obsmon_bridge_storage_points_dropped_total', 'reason="spool_full"')!;
    const spooled = sampleValue(text, 'obsmon_bridge_spool_points', '')!;
    expect(dropped).toBeGreaterThan(0);
    expect(dropped + spooled).toBe(reports * 3);
    expect(sampleValue(text, 'obsmon_bridge_spool_bytes', '')).toBeLessThanOrEqual(maxBytes);
    await influx.start();
    await waitFor('the spool to drain', () => bridge!.store.pending === 0, 15_000, 50);
    // Oldest first: what is left is the newest reports, complete.
    const kept = await select(db, 'SELECT "procs" FROM "obsmon_node"');
    expect(kept.length).toBeGreaterThan(reports / 2);
    expect(kept.map((row) => row[1])).toEqual(Array.from({ length: kept.length }, (_, i) => reports - kept.length + i));
  });

  test('a missing database (404) is not a line problem: points wait in the spool until it exists', async () => {
    dbCount += 1;
    const db = `obsmon_${dbCount}`;
    bridge = await startTestBridge({
      influxUrl: influx.url,
      influxDb: db,
      spoolDir: tempDir(),
      influxFlushInterval: 0.05,
    });
    const t = now() - 400;
    await sendAndClose(bridge.ingestPort, Array.from({ length: 10 }, (_, i) => `nf ${t + i} cpu=${i}\n`).join(''));
    await waitFor(
      'a not_found failure',
      async () =>
        (sampleValue(await bridge!.metricsText(), 'obsmon_bridge_storage_write_failures_total', 'reason="not_found"') ??
          0) > 0,
    );
    expect(bridge.store.pending).toBe(10);
    await influxQl(influx, `CREATE DATABASE ${db}`);
    await waitFor('the spool to drain', () => bridge!.store.pending === 0, 15_000, 50);
    expect(await select(db, 'SELECT count("cpu") FROM "obsmon_node"')).toEqual([[0, 10]]);
    expect(sampleValue(await bridge.metricsText(), 'obsmon_bridge_storage_points_dead_lettered_total', '')).toBe(0);
  });

  test('storage metrics are on /metrics from the start, every reason at 0, and pass promtool', async () => {
    const db = await freshDb();
    bridge = await startTestBridge({ influxUrl: influx.url, influxDb: db });
    const text = await bridge.metricsText();
    for (const reason of [
      'unreachable',
      'timeout',
      'server_error',
      'throttled',
      'rejected',
      'unauthorized',
      'not_found',
      'unexpected_status',
      'bad_response',
    ]) {
      expect(sampleValue(text, 'obsmon_bridge_storage_write_failures_total', `reason="${reason}"`), reason).toBe(0);
    }
    for (const reason of ['spool_full', 'shutdown'])
      expect(sampleValue(text, 'obsmon_bridge_storage_points_dropped_total', `reason="${reason}"`)).toBe(0);
    expect(text).toContain('obsmon_bridge_storage_write_duration_seconds_bucket{le="0.005"} 0');
    expect(sampleValue(text, 'obsmon_bridge_spool_max_bytes', '')).toBe(64 * 1024 * 1024);
    const check = checkMetrics(text);
    expect(check.status, check.output).toBe(0);
  });
});
