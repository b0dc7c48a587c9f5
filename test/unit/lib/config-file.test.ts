import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { ConfigError } from '../../../config/config-error.ts';
import { readConfigFile } from '../../../lib/config-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'obsmon-config-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('a readable file comes back as bytes, or as text in the encoding asked for', () => {
  const path = join(dir, 'token');
  writeFileSync(path, 'Zenit °\n');
  expect(readConfigFile(path, '--token-file')).toEqual(Buffer.from('Zenit °\n'));
  expect(readConfigFile(path, '--token-file', 'utf8')).toBe('Zenit °\n');
});

test.each([
  ['a missing file', join(dir, 'missing'), /^Cannot read --tls-cert ".*missing": ENOENT: no such file or directory/],
  ['a directory', dir, /^Cannot read --tls-cert ".*": EISDIR/],
])('%s is one ConfigError line naming the flag and the path', (_, path, message) => {
  let thrown: unknown;
  try {
    readConfigFile(path, '--tls-cert');
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(ConfigError);
  expect((thrown as Error).message).toMatch(message);
  expect((thrown as Error).message).not.toContain('\n');
});
