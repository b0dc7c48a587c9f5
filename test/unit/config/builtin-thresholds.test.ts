import { copyFileSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import type { EmbeddedThresholds } from '../../../config/builtin-thresholds.ts';
import { BUILTIN_THRESHOLDS_PATH, currentEmbedded, loadThresholdsConfig } from '../../../config/thresholds.ts';
import { builtinThresholdsModule } from '../../../deploy/build/cli-bundle.ts';

/** EMBEDDED_THRESHOLDS of the module text the CLI build puts in place of config/builtin-thresholds.ts. */
async function embeddedOf(path: string): Promise<EmbeddedThresholds> {
  const url = `data:text/javascript;base64,${Buffer.from(builtinThresholdsModule(path)).toString('base64')}`;
  return ((await import(url)) as { EMBEDDED_THRESHOLDS: EmbeddedThresholds }).EMBEDDED_THRESHOLDS;
}

function copyOfBuiltin(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'obsmon-embed-')), 'thresholds.yaml');
  copyFileSync(BUILTIN_THRESHOLDS_PATH, path);
  return path;
}

describe('the built-in thresholds embedded in the compiled CLI', () => {
  test('equal config/thresholds.yaml parsed and validated, which stays their one home', async () => {
    const embedded = await embeddedOf(BUILTIN_THRESHOLDS_PATH);
    // In the TypeScript nothing is embedded: loadThresholdsConfig reads the file.
    const parsed = loadThresholdsConfig();
    expect(currentEmbedded(embedded, BUILTIN_THRESHOLDS_PATH)).toEqual(parsed);
    // The file's own levels, as the yaml package reads them, are all there.
    const raw = parse(readFileSync(BUILTIN_THRESHOLDS_PATH, 'utf8')) as { defaults: Record<string, unknown> };
    expect(Object.keys(parsed.defaults).sort()).toEqual(Object.keys(raw.defaults).sort());
    expect(parsed.defaults).toEqual(raw.defaults);
  });

  test('each load gets its own objects', async () => {
    const embedded = await embeddedOf(BUILTIN_THRESHOLDS_PATH);
    const a = currentEmbedded(embedded, BUILTIN_THRESHOLDS_PATH);
    const b = currentEmbedded(embedded, BUILTIN_THRESHOLDS_PATH);
    expect(a).toEqual(b);
    expect(a).not.toBe(b);
    expect(a!.defaults).not.toBe(b!.defaults);
  });

  test('are not used once the file changed: edited (same size, newer mtime), rewritten, or gone', async () => {
    const path = copyOfBuiltin();
    const embedded = await embeddedOf(path);
    expect(currentEmbedded(embedded, path)).toBeDefined();

    const later = new Date(embedded.mtimeMs + 5000);
    utimesSync(path, later, later);
    expect(currentEmbedded(embedded, path)).toBeUndefined();

    writeFileSync(path, 'defaults: {}\n');
    expect(currentEmbedded(embedded, path)).toBeUndefined();

    expect(currentEmbedded(embedded, join(path, '..', 'missing.yaml'))).toBeUndefined();
    expect(currentEmbedded(undefined, BUILTIN_THRESHOLDS_PATH)).toBeUndefined();
  });
});
