import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, test } from 'vitest';
import { silentLogger, type Logger } from '../../../lib/logger.ts';
import { createStore, type Store } from '../../../bridge/store/store.ts';
import type { RemoteWriteOptions } from '../../../bridge/store/remote-write-config.ts';
import type { StorageOptions } from '../../../bridge/store/store-config.ts';
import { sampleValue } from '../../helpers/test-bridge.ts';
import { waitFor } from '../../helpers/wait-for.ts';

const stores: Store[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function options(overrides: Partial<StorageOptions>): StorageOptions & RemoteWriteOptions {
  return {
    // Port 1 on loopback: refused, so every point goes to the spool.
    influxUrl: 'http://127.0.0.1:1',
    influxOrg: undefined,
    influxBucket: undefined,
    influxToken: undefined,
    influxDb: 'obsmon',
    influxRp: undefined,
    influxUser: undefined,
    influxPassword: undefined,
    influxBatchSize: 100,
    influxFlushInterval: 0.02,
    influxTimeout: 1,
    spoolDir: undefined,
    spoolMaxBytes: 1 << 20,
    spoolFsyncInterval: 0.02,
    historyPoints: 10,
    historyMaxPoints: 1000,
    remoteWriteUrl: undefined,
    remoteWriteBearerToken: undefined,
    remoteWriteUser: undefined,
    remoteWritePassword: undefined,
    remoteWriteTimeout: 1,
    remoteWriteBatchSize: 100,
    ...overrides,
  };
}

function capturingLog(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  const log: Logger = {
    ...silentLogger,
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
    child: () => log,
  };
  return { log, lines };
}

describe('store', () => {
  test.each([
    ['a memory spool', false],
    ['a disk spool', true],
  ])('with %s, spool_full drops are logged (rate-limited, with the count), not only counted', async (_, onDisk) => {
    const registry = new Registry();
    const { log, lines } = capturingLog();
    const spoolDir = onDisk ? mkdtempSync(join(tmpdir(), 'obsmon-store-')) : undefined;
    if (spoolDir !== undefined) dirs.push(spoolDir);
    const store = createStore(options({ spoolDir, spoolMaxBytes: 32 * 1024 }), registry, log);
    stores.push(store);
    const t = 1_700_000_000;
    for (let i = 0; i < 3000; i += 1)
      store.record({ node: 'drop01', timestamp: t + i, samples: [{ key: 'cpu', value: i % 100 }], receivedAt: t + i });
    await waitFor(
      'points dropped',
      async () =>
        (sampleValue(await registry.metrics(), 'obsmon_bridge_storage_points_dropped_total', 'reason="spool_full"') ??
          0) > 0,
      10_000,
    );
    const dropped = sampleValue(
      await registry.metrics(),
      'obsmon_bridge_storage_points_dropped_total',
      'reason="spool_full"',
    )!;
    const logged = lines.filter((l) => l.includes('Spool full'));
    // Several drops, one line a minute: the first, carrying its count and the total so far.
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(
      /^warn Spool full \(--spool-max-bytes 32768\): dropped the \d+ oldest points; \d+ spool_full drops since start$/,
    );
    expect(dropped).toBeGreaterThan(Number(/dropped the (\d+)/.exec(logged[0]!)![1]));
  });

  test('spool errors and repairs are on /metrics from the start, every label at 0', async () => {
    const registry = new Registry();
    const spoolDir = mkdtempSync(join(tmpdir(), 'obsmon-store-'));
    dirs.push(spoolDir);
    stores.push(createStore(options({ spoolDir }), registry, silentLogger));
    const text = await registry.metrics();
    for (const op of ['write', 'read', 'cursor', 'remove'])
      expect(sampleValue(text, 'obsmon_bridge_spool_errors_total', `op="${op}"`), op).toBe(0);
    for (const kind of ['torn_tail', 'invalid_cursor', 'odd_entry'])
      expect(sampleValue(text, 'obsmon_bridge_spool_repairs_total', `kind="${kind}"`), kind).toBe(0);
    expect(sampleValue(text, 'obsmon_bridge_storage_points_dropped_total', 'reason="spool_error"')).toBe(0);
  });
});
