import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { freePort } from '../../testkit/free-port.ts';
import { sendAndClose } from '../helpers/tcp-client.ts';
import { startTestBridge, type TestBridge } from '../helpers/test-bridge.ts';
import { waitFor } from '../helpers/wait-for.ts';

/* The bridge's own problems in the event log, from a real bridge: a reload of an invalid file, a database that does not answer. */
let bridge: TestBridge | undefined;
let dir: string | undefined;
afterEach(async () => {
  await bridge?.stop();
  bridge = undefined;
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

interface EventJson {
  kind: string;
  component: string | null;
  from: string;
  to: string;
  severity: string;
  message: string | null;
}

async function bridgeEvents(b: TestBridge): Promise<EventJson[]> {
  const body = (await (await fetch(`${b.httpUrl}/api/v1/events?kind=bridge`)).json()) as { events: EventJson[] };
  return body.events.reverse();
}

describe('bridge problems in the event log', () => {
  test('a reload that finds an invalid thresholds file is an error event; the next good reload ends it', async () => {
    dir = mkdtempSync(join(tmpdir(), 'obsmon-bridge-events-'));
    const thresholds = join(dir, 'thresholds.yaml');
    const good = readFileSync(new URL('../../config/thresholds.yaml', import.meta.url), 'utf8');
    writeFileSync(thresholds, good);
    bridge = await startTestBridge({ thresholds });
    writeFileSync(thresholds, 'defaults:\n  disk: { warning: 95, error: 90 }\n');
    expect(bridge.reload().ok).toBe(false);
    expect(bridge.reload().ok).toBe(false);
    writeFileSync(thresholds, good);
    expect(bridge.reload().ok).toBe(true);
    const events = await bridgeEvents(bridge);
    expect(events.map((e) => `${e.component} ${e.from}->${e.to} ${e.severity}`)).toEqual([
      'config_reload ok->error error',
      'config_reload error->ok info',
    ]);
    expect(events[0]!.message).toContain('warning must not be above error');
  });

  test('a database that does not answer is a storage error event', async () => {
    const closed = await freePort();
    bridge = await startTestBridge({
      influxUrl: `http://127.0.0.1:${closed}`,
      influxDb: 'obsmon',
      influxFlushInterval: 0.05,
    });
    await sendAndClose(bridge.ingestPort, `n1 ${Math.floor(Date.now() / 1000)} cpu=1\n`);
    await waitFor('a storage event', async () => (await bridgeEvents(bridge!)).length > 0, 20_000, 200);
    const [event] = await bridgeEvents(bridge);
    expect(event).toMatchObject({ component: 'storage', from: 'ok', to: 'error', severity: 'error' });
    expect(event!.message).toContain('InfluxDB does not take writes');
  });
});
