import { readFileSync } from 'node:fs';
import { afterEach, expect, test, vi } from 'vitest';
import { main } from '../../../cli/main.ts';

const VERSION = (
  JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (err.push(String(chunk)), true));
  return { out, err };
}

afterEach(() => {
  vi.restoreAllMocks();
});

test.each([
  ['--version'],
  ['exporter', '--version'],
  ['bridge', '--version'],
  ['rts2-sensord', '--version'],
  ['demo', '--version'],
])('obsmon %s %s prints the version and exits 0', async (...argv) => {
  const { out } = capture();
  expect(await main(argv, {})).toBe(0);
  expect(out.join('')).toBe(`obsmon ${VERSION}\n`);
});

test.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'nope'])(
  'obsmon %s is an unknown command (exit 2), not a crash',
  async (name) => {
    const { err } = capture();
    expect(await main([name], {})).toBe(2);
    expect(err.join('')).toContain(`unknown command "${name}"`);
  },
);
