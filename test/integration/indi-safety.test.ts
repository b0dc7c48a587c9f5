import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startIndiServer, type IndiServer } from '../helpers/indi-server.ts';
import { sendAndClose } from '../helpers/tcp-client.ts';
import { startTestBridge, type TestBridge } from '../helpers/test-bridge.ts';
import { waitFor } from '../helpers/wait-for.ts';

const DEVICE = 'Weather Safety Proxy';
const SAFETY = `${DEVICE}.WEATHER_STATUS.WEATHER_SAFETY`;
const REASONS = `${DEVICE}.WEATHER_SAFETY_REASONS.Reasons`;

const dir = mkdtempSync(join(tmpdir(), 'obsmon-indi-safety-'));
const rulesFile = join(dir, 'safety-rules.yaml');
let offsetMs = 0;
const clock = () => Date.now() + offsetMs;
let bridge: TestBridge;
let indi: IndiServer;

async function report(node: string): Promise<void> {
  await sendAndClose(bridge.ingestPort, `${node} ${Math.floor(clock() / 1000)} cpu=10 disk=50\n`);
}

async function roof(): Promise<{ open_ok: number; reasons: string }> {
  const res = await fetch(`${bridge.httpUrl}/api/v1/safety/indi`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { roof_status: { open_ok: number; reasons: string } }).roof_status;
}

/** What the driver shows once it has polled the bridge again; bounded by a deadline, not a sleep. */
async function indiShows(safety: 'Ok' | 'Alert', reasons: string): Promise<void> {
  await waitFor(
    `INDI ${safety} with reasons "${reasons}"`,
    async () => {
      await indi.set(`${DEVICE}.WEATHER_REFRESH.REFRESH=On`).catch(() => undefined);
      return (await indi.get(SAFETY)) === safety && (await indi.get(REASONS)) === reasons;
    },
    30_000,
    500,
  ).catch(async (error: Error) => {
    throw new Error(
      `${error.message}; INDI shows ${await indi.get(SAFETY)} "${await indi.get(REASONS)}"; log:\n${indi.log().slice(-2000)}`,
    );
  });
}

beforeAll(async () => {
  const inventory = join(dir, 'inventory.yaml');
  writeFileSync(
    inventory,
    'nodes:\n  - { name: dome-plc, group: dome, critical: true }\n  - { name: ccd01, group: cameras }\n',
  );
  writeFileSync(rulesFile, 'unsafe: []\n');
  bridge = await startTestBridge({ inventory, safetyRules: rulesFile, downAfter: 30 }, { now: clock });
  indi = await startIndiServer('indi_weather_safety_proxy', DEVICE);
}, 60_000);
afterAll(async () => {
  await indi?.stop();
  await bridge?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('GET /api/v1/safety/indi read by the real indi_weather_safety_proxy under indiserver', () => {
  test('advisory by default: a critical node down is named while the roof stays Ok; an opt-in rule makes it Alert; the node reporting again makes it Ok', async () => {
    await report('dome-plc');
    await report('ccd01');
    expect(await roof()).toEqual({ open_ok: 1, reasons: 'all 2 nodes ok' });

    await indi.set(`${DEVICE}.WEATHER_SAFETY_URLS.WEATHER_SAFETY_URL=${bridge.httpUrl}/api/v1/safety/indi`);
    await indi.set(`${DEVICE}.SCRIPT_OR_CURL.Use script=Off;Use url=On`);
    await indi.set(`${DEVICE}.CONNECTION.CONNECT=On`);
    await indi.set(`${DEVICE}.WEATHER_UPDATE.PERIOD=1`);
    await indiShows('Ok', 'all 2 nodes ok');

    // The critical dome PLC falls silent past --down-after; the camera goes on reporting.
    offsetMs += 31_000;
    await report('ccd01');
    expect(await roof()).toEqual({ open_ok: 1, reasons: 'advisory: dome-plc down' });
    await indiShows('Ok', 'advisory: dome-plc down');

    // The site opts in: a critical node down makes the roof unsafe (SIGHUP reload in production).
    writeFileSync(rulesFile, 'unsafe:\n  - { when: down, critical: true }\n');
    expect(bridge.reload().ok).toBe(true);
    expect(await roof()).toEqual({ open_ok: 0, reasons: 'unsafe: dome-plc down' });
    await indiShows('Alert', 'unsafe: dome-plc down');

    await report('dome-plc');
    expect(await roof()).toEqual({ open_ok: 1, reasons: 'all 2 nodes ok' });
    await indiShows('Ok', 'all 2 nodes ok');
  }, 120_000);

  test('an invalid rules file on reload is refused with file and line, counted, and the previous rules stay in use', async () => {
    offsetMs += 31_000;
    await report('ccd01');
    expect(await roof()).toEqual({ open_ok: 0, reasons: 'unsafe: dome-plc down' });
    writeFileSync(rulesFile, 'unsafe:\n  - { when: dwn }\n');
    const outcome = bridge.reload();
    expect(outcome.ok).toBe(false);
    expect(outcome.errors).toEqual([`${rulesFile}:2: unsafe[0].when: expected down or error, got "dwn"`]);
    expect(outcome.summary).toContain('safety rules: invalid, previous kept');
    expect(await roof()).toEqual({ open_ok: 0, reasons: 'unsafe: dome-plc down' });
    expect(await bridge.metricsText()).toMatch(
      /^obsmon_bridge_config_reloads_total\{file="safety_rules",result="failure"\} 1$/m,
    );
    // The endpoint is read-only like the rest of the API, and always answers JSON (the driver parses whatever it gets).
    const post = await fetch(`${bridge.httpUrl}/api/v1/safety/indi`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(await post.json()).toEqual({ error: 'method_not_allowed' });
  });
});

describe('with --http-basic-auth the driver reads the endpoint with the credentials in its URL', () => {
  test('credentials in the URL: Ok and the reasons; wrong ones: a JSON 401 (the driver crashes on anything but JSON)', async () => {
    const users = join(dir, 'basic-users');
    writeFileSync(users, 'indi:s3cret-for-the-roof\n');
    const guarded = await startTestBridge({ httpBasicAuth: users }, { now: clock });
    try {
      await sendAndClose(guarded.ingestPort, `mount01 ${Math.floor(clock() / 1000)} cpu=10\n`);
      const url = new URL('/api/v1/safety/indi', guarded.httpUrl);
      const wrong = await fetch(url);
      expect(wrong.status).toBe(401);
      expect(await wrong.json()).toEqual({ error: 'unauthorized' });
      url.username = 'indi';
      url.password = 's3cret-for-the-roof';
      await indi.set(`${DEVICE}.WEATHER_SAFETY_URLS.WEATHER_SAFETY_URL=${url.href}`);
      await indiShows('Ok', '1 node ok');
    } finally {
      await guarded.stop();
    }
  }, 60_000);
});
