import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { startBridgeProcess, type BridgeProcess } from '../../testkit/bridge-process.ts';
import { sendAndClose } from '../helpers/tcp-client.ts';
import { sampleValue } from '../helpers/test-bridge.ts';
import { waitFor } from '../helpers/wait-for.ts';

/*
 * A real `obsmon bridge` child with --spool-dir (events go to <spool-dir>/events.jsonl): a disk
 * crosses its error level, a node goes down; SIGKILL, start on the same ports: the log is the same,
 * ids go on, and what did not change is not recorded again.
 */
interface EventJson {
  id: number;
  kind: string;
  node: string | null;
  metric: string | null;
  from: string;
  to: string;
}

let dir: string | undefined;
let bridge: BridgeProcess | undefined;

afterEach(async () => {
  await bridge?.stop('SIGKILL');
  bridge = undefined;
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

async function events(
  b: BridgeProcess,
  query = '',
): Promise<{ events: EventJson[]; nextBefore: number | null; lastId: number }> {
  const res = await fetch(`${b.httpUrl}/api/v1/events${query}`);
  expect(res.status).toBe(200);
  return (await res.json()) as { events: EventJson[]; nextBefore: number | null; lastId: number };
}

const brief = (e: EventJson) =>
  [e.id, e.kind, e.node, e.metric, `${e.from}->${e.to}`].filter((p) => p !== null).join(' ');

describe('event log across a bridge restart', () => {
  test('after a SIGKILL the events are still there, ids go on, and nothing is recorded twice', async () => {
    dir = mkdtempSync(join(tmpdir(), 'obsmon-events-restart-'));
    const file = join(dir, 'spool', 'events.jsonl');
    const b = await startBridgeProcess(['--spool-dir', join(dir, 'spool'), '--down-after', '3']);
    bridge = b;
    const t = () => (Date.now() / 1000).toFixed(3);
    await sendAndClose(b.ingestPort, `web1 ${t()} disk=50\ngone1 ${t()} cpu=1\n`);
    await sendAndClose(b.ingestPort, `web1 ${t()} disk=95\n`);
    // web1 keeps reporting (disk still in error); gone1 falls silent.
    const agent = setInterval(
      () => void sendAndClose(b.ingestPort, `web1 ${t()} disk=95\n`).catch(() => undefined),
      500,
    );
    try {
      await waitFor(
        'gone1 down in the event log',
        async () => (await events(b, '?kind=node')).events.length === 1,
        20_000,
        200,
      );
      const before = await events(b);
      expect(before.events.map(brief).reverse()).toEqual(['1 threshold web1 disk ok->error', '2 node gone1 up->down']);
      // Appends are fsync'd every second: wait until the file holds both before the kill.
      await waitFor(
        'both events in the file',
        () => existsSync(file) && readFileSync(file, 'utf8').includes('"to":"down"'),
        10_000,
        100,
      );
      clearInterval(agent);

      expect(await b.stop('SIGKILL')).toBe(null);
      await b.start();
      const after = await events(b);
      expect(after.events.map(brief)).toEqual(before.events.map(brief));
      expect(b.log).toContain('Restored 2 events');

      // web1 reports its disk still in error, gone1 is still down: no new event. Then it comes back.
      await sendAndClose(b.ingestPort, `web1 ${t()} disk=95\n`);
      // Absence needs time: two of the 1 s periodic checks (node down/up) pass before looking.
      await new Promise((r) => setTimeout(r, 2500));
      expect((await events(b)).lastId).toBe(2);
      await sendAndClose(b.ingestPort, `gone1 ${t()} cpu=1\nweb1 ${t()} disk=40\n`);
      await waitFor('gone1 up and web1 ok', async () => (await events(b)).lastId === 4, 10_000, 200);
      const latest = await events(b, '?limit=2');
      // Two events in either order: web1's at its report, gone1's at the next periodic check.
      expect(latest.events.map((e) => e.id)).toEqual([4, 3]);
      expect(latest.events.map((e) => brief({ ...e, id: 0 })).sort()).toEqual([
        '0 node gone1 down->up',
        '0 threshold web1 disk error->ok',
      ]);
      expect(latest.nextBefore).toBe(3);
      expect((await events(b, '?node=gone1&kind=node')).events.map((e) => e.to)).toEqual(['up', 'down']);
      expect((await events(b, '?limit=5&before=3')).events.map((e) => e.id)).toEqual([2, 1]);
      const metrics = await b.metricsText();
      expect(sampleValue(metrics, 'obsmon_bridge_events', '')).toBe(4);
      expect(sampleValue(metrics, 'obsmon_bridge_events_file_errors_total', 'invalid_file')).toBe(0);

      const bad = await fetch(`${b.httpUrl}/api/v1/events?limit=0`);
      expect(bad.status).toBe(400);
      expect(await bad.json()).toEqual({ error: 'bad_request' });
    } finally {
      clearInterval(agent);
    }
  });
});
