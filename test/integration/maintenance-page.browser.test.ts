import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { launchChromium } from '../helpers/browser.ts';
import { sendAndClose } from '../helpers/tcp-client.ts';
import { startTestBridge, type TestBridge } from '../helpers/test-bridge.ts';

// docs/operations.md: during a window the page shows "maintenance" instead of errors.
let browser: Browser;
let bridge: TestBridge | undefined;
let page: Page | undefined;
const dir = mkdtempSync(join(tmpdir(), 'obsmon-maint-page-'));

beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await page?.close();
  await bridge?.stop();
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a node in a maintenance window is drawn as maintenance, with its reason, below the nodes that need a look', async () => {
  const until = Math.floor(Date.now() / 1000) + 3600;
  const inventory = join(dir, 'inventory.yaml');
  writeFileSync(
    inventory,
    `nodes:\n  - { name: ccd01, group: cameras, critical: true }\n  - { name: ccd02, group: cameras }\nmaintenance:\n  - { node: ccd01, until: ${until}, reason: CCD swap }\n`,
  );
  bridge = await startTestBridge({ inventory });
  const t = Math.floor(Date.now() / 1000);
  // Both over their disk error level; only ccd02 is something to look at tonight.
  await sendAndClose(bridge.ingestPort, `ccd01 ${t} cpu=5 mem=5 disk=99\nccd02 ${t} cpu=5 mem=5 disk=99\n`);
  page = await browser.newPage({ viewport: { width: 1100, height: 600 } });
  await page.goto(`${bridge.httpUrl}/`);
  const ccd01 = page.locator('.card[data-node="ccd01"]');
  await ccd01.and(page.locator('[data-severity="maintenance"]')).waitFor({ timeout: 15_000 });
  expect(await ccd01.locator('.badge').textContent()).toBe('maintenance');
  expect(await ccd01.locator('.meta').textContent()).toContain('CCD swap');
  expect(await page.locator('.card[data-node="ccd02"]').getAttribute('data-severity')).toBe('error');
  // Worst first: the node in error comes before the one in maintenance.
  expect(
    await page
      .locator('.card')
      .evaluateAll((cards) => cards.map((c) => (c as unknown as { dataset: { node: string } }).dataset.node)),
  ).toEqual(['ccd02', 'ccd01']);
});
