import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startBridgeProcess, type BridgeProcess } from '../../testkit/bridge-process.ts';
import { influxQl, startInfluxd, type RealServer } from '../../testkit/real-servers.ts';
import { connectTo } from '../helpers/tcp-client.ts';
import { sampleValue } from '../helpers/test-bridge.ts';
import { waitFor } from '../helpers/wait-for.ts';

/**
 * The spool on a real full filesystem: a 1 MiB tmpfs (mounting needs root, which `npm test` has; see
 * test/global-setup.ts). InfluxDB is down, so every report goes to the spool, which cannot write:
 * no PONG may go out for those reports. Once the disk has room, a PING is answered, and what it
 * acknowledged survives a bridge SIGKILL.
 */
let influx: RealServer;
let mountPoint: string;
const bridges: BridgeProcess[] = [];

beforeAll(async () => {
  mountPoint = mkdtempSync(join(tmpdir(), 'obsmon-full-disk-'));
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountPoint], { encoding: 'utf8' });
  if (mounted.status !== 0)
    throw new Error(`Cannot mount a 1 MiB tmpfs on ${mountPoint} (this test needs root): ${mounted.stderr}`);
  influx = await startInfluxd();
});

afterAll(async () => {
  for (const bridge of bridges) await bridge.stop('SIGKILL');
  await influx?.dispose();
  if (mountPoint !== undefined) {
    spawnSync('umount', [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  }
});

async function bridgeOn(spoolDir: string, db: string): Promise<BridgeProcess> {
  const bridge = await startBridgeProcess([
    '--influx-url',
    influx.url,
    '--influx-db',
    db,
    '--spool-dir',
    spoolDir,
    '--influx-flush-interval',
    '0.1',
    '--spool-fsync-interval',
    '0.1',
  ]);
  bridges.push(bridge);
  return bridge;
}

/** Fill the filesystem to the last byte; returns the filler file, whose removal frees it. */
function fill(dir: string): string {
  const filler = join(dir, 'filler');
  let full = false;
  try {
    writeFileSync(filler, Buffer.alloc(4 << 20));
  } catch (error) {
    full = (error as NodeJS.ErrnoException).code === 'ENOSPC';
  }
  expect(full).toBe(true);
  return filler;
}

describe('spool on a full disk (real 1 MiB tmpfs, real InfluxDB 1.6, real bridge process)', () => {
  test('no PONG for reports that could not be spooled; once the disk has room they are acknowledged and survive a SIGKILL', async () => {
    await influxQl(influx, 'CREATE DATABASE full_disk');
    await influx.stop('SIGKILL');
    const spoolDir = join(mountPoint, 'spool');
    mkdirSync(spoolDir);
    let bridge = await bridgeOn(spoolDir, 'full_disk');
    const filler = fill(mountPoint);

    const agent: Socket = await connectTo(bridge.ingestPort);
    let received = '';
    agent.on('data', (d: Buffer) => (received += d.toString('latin1')));
    const t = Math.floor(Date.now() / 1000) - 600;
    const reports = 200;
    agent.write(
      Array.from({ length: reports }, (_, i) => `full01 ${t + i} cpu=${i % 100} disk@/data=${i % 100}\n`).join('') +
        'PING a1\n',
    );

    const writeErrors = async () =>
      sampleValue(await bridge.metricsText(), 'obsmon_bridge_spool_errors_total', 'op="write"') ?? 0;
    // Every fsync interval and every PING window tries again; ten failures are well past the PING's flush.
    await waitFor('ten failed spool writes', async () => (await writeErrors()) >= 10, 20_000, 50);
    expect(received).toBe('');
    const text = await bridge.metricsText();
    expect(sampleValue(text, 'obsmon_bridge_spool_points', '')).toBe(reports * 2);
    expect(sampleValue(text, 'obsmon_bridge_storage_points_dropped_total', 'reason="spool_error"')).toBe(0);
    expect(bridge.log).toMatch(
      /error bridge\/store\/spool: Spool write failed in ".*": ENOSPC.*reports are not acknowledged \(no PONG\) until a write succeeds/,
    );

    rmSync(filler);
    agent.write('PING a2\n');
    await waitFor('PONG a2 once the disk has room', () => received.includes('PONG a2\n'), 20_000, 50);
    // The first PING is never answered: its flush failed; the second acknowledges everything before it.
    expect(received).toBe('PONG a2\n');
    agent.destroy();

    // Acknowledged means durable: kill the bridge before it ever reached the database.
    await bridge.stop('SIGKILL');
    await influx.start();
    bridge = await bridgeOn(spoolDir, 'full_disk');
    const count = async (measurement: string) =>
      (await influxQl(influx, `SELECT count(*) FROM "${measurement}"`, 'full_disk')).results[0]?.series?.[0]
        ?.values[0]?.[1];
    await waitFor(
      'every acknowledged report in InfluxDB',
      async () => (await count('obsmon_node')) === reports && (await count('obsmon_mount')) === reports,
      20_000,
      100,
    );
    await bridge.stop('SIGTERM');
  });
});
