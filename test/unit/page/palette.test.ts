import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { STATUS_COLOURS } from '../../../lib/status-colours.ts';

test('the status page CSS uses the one palette of lib/status-colours.ts', () => {
  const css = readFileSync(new URL('../../../bridge/page/style.css', import.meta.url), 'utf8');
  for (const [status, colour] of Object.entries(STATUS_COLOURS)) {
    expect(css, status).toMatch(new RegExp(`--${status}:\\s*${colour};`, 'i'));
  }
});
