import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { MAX_RUNTIME_WINDOWS } from '../../bridge/state/maintenance-schedule.ts';
import { sampleValue, startTestBridge, type TestBridge } from '../helpers/test-bridge.ts';

const dir = mkdtempSync(join(tmpdir(), 'obsmon-maintenance-api-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let bridge: TestBridge | undefined;
afterEach(async () => {
  await bridge?.stop();
  bridge = undefined;
});
function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const TOKEN = { authorization: 'Bearer maint-token-1' };
const JSON_TOKEN = { ...TOKEN, 'content-type': 'application/json' };
const at = (iso: string) => Date.parse(iso);

describe('maintenance windows through the API and the inventory (a real bridge, injected clock)', () => {
  test('writes need authentication; with none configured they are refused with 403; reads stay open', async () => {
    bridge = await startTestBridge();
    const post = await fetch(`${bridge.httpUrl}/api/v1/maintenance`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ node: 'a', until: 1e10 }),
    });
    expect(post.status).toBe(403);
    expect(await post.json()).toEqual({
      error: 'forbidden',
      detail: expect.stringContaining('--http-bearer-tokens or --http-basic-auth'),
    });
    expect((await fetch(`${bridge.httpUrl}/api/v1/maintenance/m1`, { method: 'DELETE' })).status).toBe(403);
    expect(await (await fetch(`${bridge.httpUrl}/api/v1/maintenance`)).json()).toEqual({
      maxRuntimeWindows: MAX_RUNTIME_WINDOWS,
      windows: [],
    });
    // The rest of the API stays read-only.
    expect((await fetch(`${bridge.httpUrl}/api/v1/nodes`, { method: 'POST', body: 'x' })).status).toBe(405);
    expect(sampleValue(await bridge.metricsText(), 'obsmon_bridge_maintenance_refused_total', 'reason="no_auth"')).toBe(
      2,
    );
  });

  test('set, listed, shown on /metrics and in the node view, bounded, deleted; inventory windows reload on SIGHUP', async () => {
    let now = at('2026-12-01T09:00:00Z');
    const inventory = file(
      'inventory.yaml',
      'nodes:\n  - { name: ccd01, group: cameras }\n  - { name: dome-plc, group: dome }\n',
    );
    bridge = await startTestBridge(
      { inventory, httpBearerTokens: file('tokens', 'maint-token-1\n') },
      { now: () => now },
    );
    const url = bridge.httpUrl;
    const get = async (path: string) =>
      (await fetch(`${url}${path}`, { headers: TOKEN })).json() as Promise<Record<string, unknown>>;
    const metrics = async () => (await fetch(`${url}/metrics`, { headers: TOKEN })).text();

    expect(
      (
        await fetch(`${url}/api/v1/maintenance`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        })
      ).status,
    ).toBe(401);
    const created = await fetch(`${url}/api/v1/maintenance`, {
      method: 'POST',
      headers: JSON_TOKEN,
      body: JSON.stringify({ node: 'ccd01', until: '2026-12-01T10:00:00Z', reason: 'CCD swap' }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    expect(await get('/api/v1/nodes/ccd01')).toMatchObject({
      maintenance: { until: at('2026-12-01T10:00:00Z') / 1000, reason: 'CCD swap' },
    });
    expect(await get('/api/v1/nodes/dome-plc')).toMatchObject({ maintenance: null });
    let text = await metrics();
    expect(sampleValue(text, 'obsmon_node_maintenance', 'node="ccd01"')).toBe(1);
    expect(sampleValue(text, 'obsmon_node_maintenance', 'node="dome-plc"')).toBe(0);

    // Bad input: a clear 400, counted.
    for (const body of [
      { node: 'ccd01' },
      { node: 'ccd01', until: 1e10, reason: 'x'.repeat(201) },
      { group: 'g', daily: '25:00-26:00' },
      { node: 'ccd01', until: '2026-12-01T08:59:59Z' },
    ]) {
      const bad = await fetch(`${url}/api/v1/maintenance`, {
        method: 'POST',
        headers: JSON_TOKEN,
        body: JSON.stringify(body),
      });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { detail: string }).detail).toMatch(/expected|already over/);
    }
    expect(
      (await fetch(`${url}/api/v1/maintenance`, { method: 'POST', headers: JSON_TOKEN, body: '{"node": ' })).status,
    ).toBe(400);
    // A body over the 4 KiB limit is refused before it is parsed (the API's error answer: 400).
    expect(
      (
        await fetch(`${url}/api/v1/maintenance`, {
          method: 'POST',
          headers: JSON_TOKEN,
          body: JSON.stringify({ node: 'a', until: 1e10, reason: 'y'.repeat(5000) }),
        })
      ).status,
    ).toBe(400);

    // The bound: MAX_RUNTIME_WINDOWS in all, then 409.
    for (let i = 1; i < MAX_RUNTIME_WINDOWS; i++) {
      const res = await fetch(`${url}/api/v1/maintenance`, {
        method: 'POST',
        headers: JSON_TOKEN,
        body: JSON.stringify({ node: `n${i}`, until: '2026-12-02T00:00:00Z' }),
      });
      expect(res.status).toBe(201);
    }
    const full = await fetch(`${url}/api/v1/maintenance`, {
      method: 'POST',
      headers: JSON_TOKEN,
      body: JSON.stringify({ node: 'x', until: '2026-12-02T00:00:00Z' }),
    });
    expect(full.status).toBe(409);
    text = await metrics();
    expect(sampleValue(text, 'obsmon_bridge_maintenance_refused_total', 'reason="limit"')).toBe(1);
    expect(sampleValue(text, 'obsmon_bridge_maintenance_refused_total', 'reason="invalid"')).toBe(4);
    expect(sampleValue(text, 'obsmon_bridge_maintenance_runtime_windows', '')).toBe(MAX_RUNTIME_WINDOWS);

    expect((await fetch(`${url}/api/v1/maintenance/${id}`, { method: 'DELETE', headers: TOKEN })).status).toBe(204);
    expect((await fetch(`${url}/api/v1/maintenance/${id}`, { method: 'DELETE', headers: TOKEN })).status).toBe(404);
    expect(await get('/api/v1/nodes/ccd01')).toMatchObject({ maintenance: null });

    // A daily group window from the inventory, applied by a reload (SIGHUP); listed with the API's.
    writeFileSync(
      inventory,
      'nodes:\n  - { name: ccd01, group: cameras }\n  - { name: dome-plc, group: dome }\nmaintenance:\n  - { group: dome, daily: "08:00-17:00", reason: daytime engineering }\n',
    );
    expect(bridge.reload().summary).toContain('1 maintenance window');
    expect(await get('/api/v1/nodes/dome-plc')).toMatchObject({
      maintenance: { until: at('2026-12-01T17:00:00Z') / 1000, reason: 'daytime engineering' },
    });
    const listed = (await get('/api/v1/maintenance')) as { windows: Array<Record<string, unknown>> };
    expect(listed.windows[0]).toEqual({
      id: 'inventory-0',
      source: 'inventory',
      group: 'dome',
      daily: '08:00-17:00',
      time_zone: 'UTC',
      reason: 'daytime engineering',
    });
    expect(listed.windows).toHaveLength(MAX_RUNTIME_WINDOWS);
    expect((await fetch(`${url}/api/v1/maintenance/inventory-0`, { method: 'DELETE', headers: TOKEN })).status).toBe(
      404,
    );

    // After the window: the node is out of maintenance again, and past runtime windows free their slots.
    now = at('2026-12-02T00:00:00Z');
    expect(await get('/api/v1/nodes/dome-plc')).toMatchObject({ maintenance: null });
    expect(sampleValue(await metrics(), 'obsmon_node_maintenance', 'node="dome-plc"')).toBe(0);
    expect(((await get('/api/v1/maintenance')) as { windows: unknown[] }).windows).toHaveLength(1);

    // An invalid inventory keeps the previous windows.
    writeFileSync(inventory, 'nodes: [ccd01]\nmaintenance:\n  - { group: dome, daily: "8-17" }\n');
    const outcome = bridge.reload();
    expect(outcome.errors[0]).toContain(
      `${inventory}:3: maintenance[0].daily: expected daily: "HH:MM-HH:MM" (24-hour), got "8-17"`,
    );
    now = at('2026-12-02T09:00:00Z');
    expect(await get('/api/v1/nodes/dome-plc')).toMatchObject({ maintenance: { reason: 'daytime engineering' } });
  }, 120_000);

  test('with --state-file, runtime windows survive a restart (saved next to the node state); a damaged entry is left out', async () => {
    const now = at('2026-12-01T09:00:00Z');
    const stateFile = join(dir, 'state', 'nodes.json');
    const { mkdirSync, readFileSync } = await import('node:fs');
    mkdirSync(join(dir, 'state'), { recursive: true });
    const options = { stateFile, httpBearerTokens: file('tokens2', 'maint-token-1\n') };
    bridge = await startTestBridge(options, { now: () => now });
    for (const body of [
      { node: 'ccd01', until: '2026-12-01T10:00:00Z', reason: 'CCD swap' },
      { group: 'dome', daily: '22:00-06:00', time_zone: 'Asia/Tokyo', weekdays: ['fri'] },
    ]) {
      expect(
        (
          await fetch(`${bridge.httpUrl}/api/v1/maintenance`, {
            method: 'POST',
            headers: JSON_TOKEN,
            body: JSON.stringify(body),
          })
        ).status,
      ).toBe(201);
    }
    const before = (
      (await (await fetch(`${bridge.httpUrl}/api/v1/maintenance`, { headers: TOKEN })).json()) as { windows: unknown[] }
    ).windows;
    await bridge.stop();
    const saved = join(dir, 'state', 'nodes.maintenance.json');
    const content = JSON.parse(readFileSync(saved, 'utf8')) as { windows: Array<Record<string, unknown>> };
    expect(content.windows).toHaveLength(2);
    content.windows.push({ id: 'm9', node: 'x' }, { id: '__proto__', node: 'y', until: 1e10 });
    writeFileSync(saved, JSON.stringify(content));

    bridge = await startTestBridge(options, { now: () => now });
    const after = (
      (await (await fetch(`${bridge.httpUrl}/api/v1/maintenance`, { headers: TOKEN })).json()) as { windows: unknown[] }
    ).windows;
    expect(after).toEqual(before);
    // A new window gets a fresh id, never one of the restored.
    const created = await fetch(`${bridge.httpUrl}/api/v1/maintenance`, {
      method: 'POST',
      headers: JSON_TOKEN,
      body: JSON.stringify({ node: 'a', until: '2026-12-01T11:00:00Z' }),
    });
    expect(((await created.json()) as { id: string }).id).toBe('m3');
  }, 120_000);
});
