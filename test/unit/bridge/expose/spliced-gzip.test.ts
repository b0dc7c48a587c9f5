import { request, type Server } from 'node:http';
import { PassThrough } from 'node:stream';
import type { AddressInfo } from 'node:net';
import { crc32, gunzipSync, inflateRawSync } from 'node:zlib';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, test } from 'vitest';
import { createHttpApp } from '../../../../bridge/expose/http.ts';
import { SplicedGzip } from '../../../../bridge/expose/spliced-gzip.ts';
import { nodeExpositionChunks, SKIP_CONSTANT_TEXT } from '../../../../bridge/expose/node-exposition.ts';
import type { MaintenanceState } from '../../../../bridge/state/maintenance-state.ts';
import { NodeTable } from '../../../../bridge/state/node-table.ts';
import { loadThresholdsConfig, Thresholds } from '../../../../config/thresholds.ts';
import { parseLine } from '../../../../protocol/line.ts';
import { oracleNodeExposition } from '../../../helpers/exposition-oracle.ts';

const NOW = 1_763_884_800_000;
const builtin = loadThresholdsConfig();

function accept(table: NodeTable, line: string, at: number, agent?: string): void {
  const parsed = parseLine(line);
  if (!parsed.ok) throw new Error(`${line}: ${parsed.reason}`);
  expect(table.accept(parsed.report, at, agent).ok).toBe(true);
}

/** Every node reports new values (as between two scrapes at the report interval). */
function report(table: NodeTable, nodes: number, at: number): void {
  for (let i = 0; i < nodes; i += 1)
    accept(
      table,
      `node${i} ${at / 1000} cpu=${(i + at / 1000) % 100} mem=20 disk=40 rx=${at % 997} tx=50`,
      at,
      'obsmon-agent/1.0',
    );
}

let server: Server | undefined;
afterEach(() => {
  server?.close();
  server = undefined;
});

interface Scraped {
  readonly text: string;
  /** The renderer was told to skip the constant text (the answer spliced in the kept one). */
  readonly skipped: boolean;
}

/** A /metrics over `table` whose clock, thresholds and maintenance the test moves; scrape() checks each answer. */
async function bridge(table: NodeTable, thresholds: Thresholds) {
  const registry = new Registry();
  let now = NOW;
  const inMaintenance = new Set<string>();
  const options = () => ({
    downAfterMs: 60_000,
    maintenance: (node: string): MaintenanceState | null => (inMaintenance.has(node) ? ({} as MaintenanceState) : null),
  });
  let skips = 0;
  // The renderer as the bridge wires it, counting the answers to its start mark.
  function* counted(): Generator<Buffer[], void, boolean | undefined> {
    const it = nodeExpositionChunks(table, thresholds, now, options());
    let answer: boolean | undefined;
    for (;;) {
      const next = it.next(answer);
      if (next.done === true) return;
      answer = yield next.value;
      if (answer === SKIP_CONSTANT_TEXT) skips += 1;
    }
  }
  const app = createHttpApp({
    registry,
    nodeExposition: counted,
    table,
    thresholds,
    downAfterMs: 60_000,
    now: () => now,
    stream: (_req, res) => res.end(),
  });
  server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server!.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
  return {
    inMaintenance,
    at(ms: number) {
      now = ms;
    },
    /** A gzip scrape: one gzip member, whose text is the oracle's node text, then the registry's. */
    async scrape(): Promise<Scraped> {
      const before = skips;
      const body = await get(url, 'gzip');
      const text = gunzipSync(body).toString();
      // One member: the header, one raw deflate stream, the CRC-32 and length of the whole text.
      expect([...body.subarray(0, 4)]).toEqual([0x1f, 0x8b, 8, 0]);
      const inflated = inflateRawSync(body.subarray(10, -8));
      expect(inflated.toString()).toBe(text);
      expect(body.readUInt32LE(body.length - 8)).toBe(crc32(inflated));
      expect(body.readUInt32LE(body.length - 4)).toBe(inflated.length);
      const oracle = oracleNodeExposition(table, thresholds, now, options());
      if (!text.startsWith(oracle)) expect(firstDifference(text, oracle)).toBe('none');
      expect(text.slice(oracle.length)).toBe(await registry.metrics());
      expect((await get(url, 'identity')).toString()).toBe(text);
      return { text, skipped: skips > before };
    },
  };
}

function firstDifference(a: string, b: string): string {
  const x = a.split('\n');
  const y = b.split('\n');
  const i = x.findIndex((line, k) => line !== y[k]);
  return i < 0 ? 'none' : `line ${i}: ${JSON.stringify(x[i])} vs ${JSON.stringify(y[i])}`;
}

function get(url: string, encoding: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    request(url, { headers: { 'accept-encoding': encoding } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (c: Buffer) => parts.push(c));
      res.on('end', () => resolve(Buffer.concat(parts)));
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

/** A table with room for every node and series these tests send, and an optional inventory. */
const newTable = (inventory?: ConstructorParameters<typeof NodeTable>[1]) =>
  new NodeTable(
    {
      maxNodes: 100_000,
      maxSeriesPerNode: 64,
      backfillWindowSeconds: 86_400,
      futureToleranceSeconds: 60,
      enforceInventory: false,
    },
    inventory,
  );

describe('GET /metrics with gzip: the constant families deflated once, spliced into later answers', () => {
  test('later scrapes splice the kept text: the same text as a full render, one valid gzip member', async () => {
    const table = newTable();
    const b = await bridge(table, new Thresholds(builtin));
    report(table, 3000, NOW);
    const first = await b.scrape();
    expect(first.skipped).toBe(false);
    expect(first.text).toContain('obsmon_threshold{node="node2999",metric="tx",severity="error"}');
    for (let round = 1; round <= 3; round += 1) {
      b.at(NOW + round * 1000);
      report(table, 3000, NOW + round * 1000);
      const later = await b.scrape();
      expect(later.skipped, `round ${round}`).toBe(true);
      expect(later.text).not.toBe(first.text);
    }
  });

  test('each change of the constant text shows in the next scrape, which keeps the new text', async () => {
    const table = newTable(new Map([['node1', { name: 'node1', group: 'cameras', critical: true }]]));
    const thresholds = new Thresholds(builtin);
    const b = await bridge(table, thresholds);
    report(table, 50, NOW);
    await b.scrape();
    let at = NOW;
    /** After `change`, the next scrape renders anew (and shows `expected`); the one after splices again. */
    const changes = async (change: () => void, expected: string, gone?: string) => {
      at += 1000;
      b.at(at);
      change();
      const next = await b.scrape();
      expect(next.skipped, expected).toBe(false);
      expect(next.text).toContain(expected);
      if (gone !== undefined) expect(next.text).not.toContain(gone);
      expect((await b.scrape()).skipped, expected).toBe(true);
    };
    await changes(
      () => accept(table, `node50 ${at / 1000} cpu=1`, at),
      'obsmon_node_info{node="node50",group="default",critical="false",inventory="false"} 1\n',
    );
    await changes(
      () => accept(table, `node3 ${at / 1000} cpu=1 temp@gpu=40`, at, 'obsmon-agent/1.0'),
      'obsmon_threshold{node="node3",metric="temp",severity="warning"}',
    );
    await changes(
      () => accept(table, `node4 ${at / 1000} cpu=1`, at, 'obsmon-agent/2.0'),
      'obsmon_node_agent_info{node="node4",agent="obsmon-agent/2.0"} 1\n',
      'obsmon_node_agent_info{node="node4",agent="obsmon-agent/1.0"} 1\n',
    );
    await changes(
      () =>
        thresholds.replaceWith(
          new Thresholds({ ...builtin, defaults: { ...builtin.defaults, cpu: { warning: 71, error: 91 } } }),
        ),
      'obsmon_threshold{node="node7",metric="cpu",severity="warning"} 71\n',
    );
    await changes(
      () => table.replaceInventory(new Map([['node1', { name: 'node1', group: 'domes', critical: false }]])),
      'obsmon_node_info{node="node1",group="domes",critical="false",inventory="true"} 1\n',
      'group="cameras"',
    );
    // node50 alone did not report since: forgotten.
    await changes(
      () => {
        for (let i = 0; i < 50; i += 1) accept(table, `node${i} ${at / 1000} cpu=2`, at);
        expect(table.forget(at, 0)).toBe(1);
      },
      'obsmon_node_info{node="node49"',
      'node="node50"',
    );
  });

  test('maintenance and up, outside the constant text, change with the kept text spliced in', async () => {
    const table = newTable();
    const b = await bridge(table, new Thresholds(builtin));
    report(table, 20, NOW);
    await b.scrape();
    b.inMaintenance.add('node5');
    const during = await b.scrape();
    expect(during.skipped).toBe(true);
    expect(during.text).toContain('obsmon_node_maintenance{node="node5"} 1\n');
    b.at(NOW + 120_000);
    const down = await b.scrape();
    expect(down.skipped).toBe(true);
    expect(down.text).toContain('obsmon_node_up{node="node5"} 0\n');
  });
});

describe('SplicedGzip on its own: pieces deflated by kept deflaters', () => {
  /** One answer of `parts` texts, a slice's end after each, through its own SplicedGzip; the gzip bytes. */
  async function answer(parts: readonly string[], tail: string): Promise<Buffer> {
    const out = new PassThrough();
    const bytes: Buffer[] = [];
    out.on('data', (b: Buffer) => bytes.push(b));
    const ended = new Promise((resolve) => out.on('end', resolve));
    const sink = new SplicedGzip(out, (error) => {
      throw error;
    });
    for (const part of parts) {
      sink.write(Buffer.from(part));
      sink.pause();
    }
    await sink.end(tail);
    await ended;
    return Buffer.concat(bytes);
  }

  test('answers at the same time and one after another, more pieces in flight than deflaters kept, each whole', async () => {
    // Pieces of different texts and lengths (one over a piece's 256 KB): a deflater reused without its
    // reset, or output handed to the wrong piece, would corrupt some answer.
    const texts = Array.from({ length: 6 }, (_, a) =>
      Array.from({ length: 12 }, (_, p) => `answer${a} piece${p} ${'x'.repeat((a * 7919 + p * 104_729) % 3000)}\n`),
    );
    texts[2]![5] = 'y'.repeat(300 * 1024);
    for (let round = 0; round < 3; round += 1) {
      const bodies = await Promise.all(texts.map((parts, a) => answer(parts, `tail${a}\n`)));
      bodies.forEach((body, a) => {
        const text = texts[a]!.join('') + `tail${a}\n`;
        expect(gunzipSync(body).toString()).toBe(text);
        // One member: the deflate stream ends in an empty final block, then the CRC-32 and length.
        expect([...body.subarray(-10, -8)]).toEqual([0x03, 0x00]);
        expect(body.readUInt32LE(body.length - 8)).toBe(crc32(text));
      });
    }
  });

  test('an empty answer is a valid member of the tail alone', async () => {
    expect(gunzipSync(await answer([], '')).toString()).toBe('');
    expect(gunzipSync(await answer([''], 'only\n')).toString()).toBe('only\n');
  });
});
