import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { STATUS_COLOURS } from '../../lib/status-colours.ts';
import { ARTIFACTS_DIR, launchChromium } from '../helpers/browser.ts';
import { sendAndClose } from '../helpers/tcp-client.ts';
import { startTestBridge, type TestBridge } from '../helpers/test-bridge.ts';

// Runs inside the page (tsconfig has no DOM lib for Node code).
declare const getComputedStyle: (element: unknown) => { backgroundColor: string };

const now = () => Math.floor(Date.now() / 1000);
const hexToRgb = (hex: string) => `rgb(${[1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(', ')})`;

let browser: Browser;
let bridge: TestBridge | undefined;
let page: Page | undefined;

beforeAll(async () => {
  browser = await launchChromium();
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  await page?.close();
  page = undefined;
  await bridge?.stop();
  bridge = undefined;
});

// The grid is re-rendered on every stream event and every second, so an element read here can be
// detached a moment later (its computed style is then empty): callers poll.
const fillColour = (p: Page, node: string, metric: string) =>
  p
    .locator(`.card[data-node="${node}"] .bar[data-metric="${metric}"] .fill`)
    .evaluate((e) => getComputedStyle(e).backgroundColor);

describe('status page in a real browser', () => {
  test('cards appear with their status colours and a disk bar turns red live, without reload', async () => {
    bridge = await startTestBridge();
    const t = now();
    await sendAndClose(bridge.ingestPort, `cam01 ${t} cpu=20 mem=30 disk=50\nweb01 ${t} cpu=88 mem=30 disk=10\n`);
    page = await browser.newPage({ viewport: { width: 1100, height: 500 } });
    await page.goto(`${bridge.httpUrl}/`);
    await page.locator('.card[data-node="cam01"]').waitFor();
    await page.locator('#connection.live').waitFor();
    await expect.poll(() => fillColour(page!, 'cam01', 'disk')).toBe(hexToRgb(STATUS_COLOURS.ok));
    await expect.poll(() => fillColour(page!, 'web01', 'cpu')).toBe(hexToRgb(STATUS_COLOURS.warning));
    expect(await page.locator('.card[data-node="web01"]').getAttribute('data-status')).toBe('warning');

    await sendAndClose(bridge.ingestPort, `cam01 ${t + 1} cpu=20 mem=30 disk=93.5\n`);
    await page.locator('.card[data-node="cam01"][data-status="error"]').waitFor({ timeout: 15_000 });
    await expect.poll(() => fillColour(page!, 'cam01', 'disk')).toBe(hexToRgb(STATUS_COLOURS.error));
    expect(await page.locator('.card[data-node="cam01"] .bar[data-metric="disk"] .value').textContent()).toBe('93.5%');
    await page.screenshot({ path: `${ARTIFACTS_DIR}status-overview.png` });
  });

  test('colours are the status the bridge judged: levels changed by a reload show on the next report, page not reloaded', async () => {
    const thresholds = join(mkdtempSync(join(tmpdir(), 'obsmon-page-')), 'thresholds.yaml');
    writeFileSync(thresholds, 'defaults:\n  disk: { warning: 80, error: 90 }\n');
    bridge = await startTestBridge({ thresholds });
    const t = now();
    await sendAndClose(bridge.ingestPort, `cam01 ${t} disk=60\n`);
    page = await browser.newPage();
    await page.goto(`${bridge.httpUrl}/`);
    await page.locator('.card[data-node="cam01"][data-status="ok"]').waitFor();
    await page.locator('#connection.live').waitFor();
    // The page holds the levels of its snapshot (80/90); the bridge now judges at 50/55.
    writeFileSync(thresholds, 'defaults:\n  disk: { warning: 50, error: 55 }\n');
    expect(bridge.reload().ok).toBe(true);
    await sendAndClose(bridge.ingestPort, `cam01 ${t + 1} disk=52\n`);
    await page.locator('.card[data-node="cam01"][data-status="warning"]').waitFor({ timeout: 15_000 });
    await expect.poll(() => fillColour(page!, 'cam01', 'disk')).toBe(hexToRgb(STATUS_COLOURS.warning));
  });

  test('a node that stops reporting is greyed with its last-seen time', async () => {
    bridge = await startTestBridge({ downAfter: 3 });
    page = await browser.newPage();
    await page.goto(`${bridge.httpUrl}/`);
    await page.locator('#connection.live').waitFor();
    // Sent once the page is live (a slow browser start must not outlast downAfter): it arrives by the stream.
    await sendAndClose(bridge.ingestPort, `quiet01 ${now()} cpu=5 mem=5 disk=5\n`);
    await page.locator('.card[data-node="quiet01"][data-status="ok"]').waitFor();
    await page.locator('.card[data-node="quiet01"][data-status="stale"]').waitFor({ timeout: 15_000 });
    expect(await page.locator('.card[data-node="quiet01"] .meta').textContent()).toMatch(/last seen \d+ s ago/);
  });

  test('filter by name or group narrows the cards; hostile names render as text', async () => {
    bridge = await startTestBridge();
    const t = now();
    await sendAndClose(bridge.ingestPort, `alpha ${t} cpu=1\nbeta ${t} cpu=1 disk@<b>x</b><img/src/onerror>=5\n`);
    page = await browser.newPage();
    await page.goto(`${bridge.httpUrl}/`);
    await page.locator('.card[data-node="beta"]').waitFor();
    expect(await page.locator('.card img, .card b').count()).toBe(0);
    expect(await page.locator('.card[data-node="beta"] .bar .label').last().textContent()).toBe(
      'disk <b>x</b><img/src/onerror>',
    );
    await page.fill('input[type=search]', 'alp');
    await expect.poll(() => page!.locator('.card').count()).toBe(1);
  });
});

describe('node page in a real browser', () => {
  test('draws history charts with dashed warning and error lines and a table of readings', async () => {
    bridge = await startTestBridge();
    const t = now() - 300;
    const lines = Array.from(
      { length: 30 },
      (_, i) =>
        `cam02 ${t + i * 10} cpu=${20 + i} mem=${40 + i / 2} disk=${70 + i / 2} disk@/data=${50 + i} rx=${1000 * i} tx=${500 * i}`,
    );
    // The agent's AGENT line (hostile bytes in it are text, never markup) shows under the heading.
    await sendAndClose(bridge.ingestPort, `AGENT obsmon-exporter/0.1.0<b>x</b>\n${lines.join('\n')}\n`);
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    await page.goto(`${bridge.httpUrl}/#/node/cam02`);
    await page.locator('.node-agent').waitFor({ timeout: 10_000 });
    expect(await page.locator('.node-agent').textContent()).toBe('agent obsmon-exporter/0.1.0<b>x</b>');
    expect(await page.locator('.node-agent b').count()).toBe(0);
    await page.locator('.chart[data-chart="Disk"] canvas').waitFor({ timeout: 10_000 });
    const charts = (await page.evaluate('window.obsmonCharts')) as Record<
      string,
      { series: Array<{ label: string; dash: number[] | null }>; points: number }
    >;
    expect(charts['CPU']!.points).toBe(30);
    expect(charts['Disk']!.series.map((s) => s.label)).toEqual(['/', '/data', 'warning 80', 'error 90']);
    expect(charts['Disk']!.series.filter((s) => s.dash !== null).map((s) => s.label)).toEqual([
      'warning 80',
      'error 90',
    ]);
    expect(charts['CPU']!.series.map((s) => s.label)).toEqual(['cpu %', 'warning 85', 'error 95']);
    const rows = page.locator('table.readings tbody tr');
    expect(await rows.count()).toBe(20);
    expect(await rows.first().locator('td').nth(1).textContent()).toBe('49');
    await page.screenshot({ path: `${ARTIFACTS_DIR}node-page.png`, fullPage: true });
  });
});
