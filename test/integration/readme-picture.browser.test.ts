import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { simulatedNodeNames } from '../../cli/demo-fleet.ts';
import { ARTIFACTS_DIR, launchChromium } from '../helpers/browser.ts';
import { freePort } from '../../testkit/free-port.ts';
import { waitFor } from '../helpers/wait-for.ts';

/*
 * The README's picture is what the command in its caption shows. This test runs that command, checks
 * the page shows what the caption says, and takes the picture; `UPDATE_DOC_IMAGES=1 npm test -- readme`
 * writes it to docs/images/status-page.png, so the picture is made by the command, never drawn by hand.
 */
const REPO = new URL('../../', import.meta.url).pathname;
const README = readFileSync(`${REPO}README.md`, 'utf8');
const PICTURE = /!\[The status page of `obsmon demo --simulate (\d+)`[^\]]*\]\(docs\/images\/status-page\.png\)/;

let browser: Browser;
let demo: ChildProcess | undefined;
beforeAll(async () => {
  browser = await launchChromium();
  mkdirSync(ARTIFACTS_DIR, { recursive: true });
});
afterAll(async () => {
  demo?.kill('SIGTERM');
  await browser?.close();
});

test('the README picture is `obsmon demo --simulate N` as the browser shows it', async () => {
  const caption = PICTURE.exec(README);
  expect(caption, 'README: the picture caption names the demo command').not.toBeNull();
  const simulated = Number(caption![1]);
  const [ingestPort, httpPort] = [await freePort(), await freePort()];
  demo = spawn(
    'node',
    [
      'bin/obsmon.js',
      'demo',
      '--simulate',
      String(simulated),
      '--node',
      'obsmon-host',
      '--ingest-port',
      String(ingestPort),
      '--http-port',
      String(httpPort),
    ],
    {
      cwd: REPO,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let printed = '';
  demo.stdout!.on('data', (d: Buffer) => (printed += d.toString()));
  await waitFor('the demo to print its URLs', () => printed.includes('Status page'), 30_000);

  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`http://127.0.0.1:${httpPort}/`);
  // The exporter's first report needs one CPU sample interval; the simulated nodes report at once.
  await expect.poll(() => page.locator('.card').count(), { timeout: 30_000 }).toBe(simulated + 1);
  for (const node of [...simulatedNodeNames(simulated), 'obsmon-host'])
    await page.locator(`.card[data-node="${node}"]`).waitFor();
  // The fleet shows every colour the caption promises: errors, warnings and normal nodes.
  for (const status of ['error', 'warning', 'ok'])
    expect(await page.locator(`.card[data-status="${status}"]`).count(), status).toBeGreaterThan(0);
  expect(await page.locator('#summary').textContent()).toMatch(new RegExp(`^${simulated + 1} nodes · `));
  await page.screenshot({ path: `${ARTIFACTS_DIR}status-page.png` });
  if (process.env['UPDATE_DOC_IMAGES'] === '1')
    copyFileSync(`${ARTIFACTS_DIR}status-page.png`, `${REPO}docs/images/status-page.png`);
  await page.close();
});
