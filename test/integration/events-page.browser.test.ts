import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { ARTIFACTS_DIR, launchChromium } from '../helpers/browser.ts';
import { sendAndClose } from '../helpers/tcp-client.ts';
import { startTestBridge, type TestBridge } from '../helpers/test-bridge.ts';

const now = () => Math.floor(Date.now() / 1000);

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

describe('event log in a real browser', () => {
  test('#/events lists a threshold crossing and a node going down; each node page shows its own', async () => {
    bridge = await startTestBridge({ downAfter: 2 });
    const t = now();
    await sendAndClose(bridge.ingestPort, `cam01 ${t} disk=50\nquiet01 ${t} cpu=5\n`);
    await sendAndClose(bridge.ingestPort, `cam01 ${t + 1} disk=93.5 disk@<b>x</b>=96\n`);

    page = await browser.newPage({ viewport: { width: 1200, height: 700 } });
    await page.goto(`${bridge.httpUrl}/`);
    await page.click('header a[href="#/events"]');
    const crossing = page.locator('#events tr[data-kind="threshold"][data-node="cam01"][data-to="error"]');
    await crossing.first().waitFor({ timeout: 15_000 });
    expect(await crossing.count()).toBe(2);
    // Agent text (a qualifier) is shown as text, never as markup.
    expect(await page.locator('#events b, #events img').count()).toBe(0);
    expect(await page.locator('#events td', { hasText: 'disk@<b>x</b>' }).count()).toBe(1);
    // quiet01 stops: down after 2 s, and the page picks the event up while it is shown.
    await page
      .locator('#events tr[data-kind="node"][data-node="quiet01"][data-to="down"]')
      .waitFor({ timeout: 20_000 });
    const row = page.locator('#events tr[data-kind="node"][data-node="quiet01"]');
    expect(await row.locator('td').nth(1).textContent()).toBe('warning');
    expect(await row.locator('td').nth(5).textContent()).toBe('up → down');
    // cam01 also went silent meanwhile; a filter narrows to the thresholds.
    await page.selectOption('select[aria-label="kind"]', 'threshold');
    await expect.poll(() => page!.locator('#events tr[data-kind="node"]').count()).toBe(0);
    expect(await page.locator('#events tr[data-kind="threshold"]').count()).toBe(2);
    await page.screenshot({ path: `${ARTIFACTS_DIR}events.png`, fullPage: true });

    await page.click('#events tr[data-kind="threshold"] a[href="#/node/cam01"] >> nth=0');
    await page.locator('#node-events tr[data-kind="threshold"][data-to="error"]').first().waitFor({ timeout: 10_000 });
    expect(await page.locator('#node-events tr[data-node="quiet01"]').count()).toBe(0);
    expect(await page.locator('#node-events td', { hasText: '93.5' }).count()).toBe(1);

    await page.goto(`${bridge.httpUrl}/#/node/quiet01`);
    await page.locator('#node-events tr[data-kind="node"][data-to="down"]').waitFor({ timeout: 10_000 });
    expect(await page.locator('#node-events tr[data-kind="threshold"]').count()).toBe(0);
    await page.screenshot({ path: `${ARTIFACTS_DIR}node-page-events.png`, fullPage: true });
  });
});
