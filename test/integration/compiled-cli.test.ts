import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { CLI_ENTRY } from '../../deploy/build/cli-bundle.ts';
import { VERSION } from '../../lib/version.ts';
import { startBridgeProcess, type BridgeProcess } from '../../testkit/bridge-process.ts';
import { sendAndClose } from '../helpers/tcp-client.ts';
import { waitFor } from '../helpers/wait-for.ts';

/*
 * What ships runs: test/global-setup.ts compiles the CLI (deploy/build/cli-bundle.ts), so bin/obsmon.js
 * runs dist/cli/ here, and every file the compiled code finds by path (the status page, uplot, the
 * built-in thresholds, package.json) must resolve from there. And bin/obsmon.js must never run a
 * build older than the sources: that part runs a copy of it in a scratch tree.
 */
const REPO = new URL('../../', import.meta.url).pathname;
const BIN = join(REPO, 'bin/obsmon.js');
const FALLBACK = 'running the TypeScript through tsx';

const run = (bin: string, args: string[]) =>
  spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 30_000 });

describe('the compiled CLI (dist/cli/)', () => {
  let bridge: BridgeProcess | undefined;
  afterAll(async () => {
    await bridge?.stop();
  });

  test('bin/obsmon.js runs it: no tsx fallback, the version from package.json', () => {
    expect(CLI_ENTRY.startsWith(join(REPO, 'dist/'))).toBe(true);
    const result = run(BIN, ['--version']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(`obsmon ${VERSION}\n`);
  });

  test("what it leaves to node_modules (snappy, iconv-lite's tables, mime-db's, the OpenTelemetry API) resolves from dist/cli/", () => {
    const dist = dirname(CLI_ENTRY);
    const left = new Set<string>();
    for (const file of readdirSync(dist).filter((f) => f.endsWith('.js'))) {
      const text = readFileSync(join(dist, file), 'utf8');
      const specs = /\b(?:__require|require|import)\("((?:snappy|iconv-lite|mime-db|@opentelemetry\/api)\b[^"]*)"\)/g;
      for (const [, spec] of text.matchAll(specs)) left.add(spec!);
    }
    expect([...left]).toEqual(
      expect.arrayContaining([
        'snappy',
        'iconv-lite/encodings/tables/shiftjis.json',
        'iconv-lite/encodings/sbcs-data-generated',
        'mime-db/db.json',
        '@opentelemetry/api',
      ]),
    );
    const resolve = createRequire(CLI_ENTRY);
    for (const spec of left) expect(() => resolve.resolve(spec), spec).not.toThrow();
    // The tables iconv-lite reads from there are its own: Shift_JIS and a single-byte encoding decode.
    const iconv = resolve('iconv-lite') as { decode(bytes: Buffer, encoding: string): string };
    expect(iconv.decode(Buffer.from([0x82, 0xa0]), 'shift_jis')).toBe('あ');
    expect(iconv.decode(Buffer.from([0xe9]), 'windows-1252')).toBe('é');
  });

  test('a bridge without --peers loads none of the peers code: it is a chunk of its own, imported when configured', () => {
    const dist = dirname(CLI_ENTRY);
    const text = (file: string) => readFileSync(join(dist, file), 'utf8');
    // The files `obsmon bridge` evaluates at start: main.js's dynamic import of the command, then static imports.
    const command = /import\("\.\/(bridge-[\w-]+\.js)"\)/.exec(text('main.js'))?.[1];
    expect(command).toBeDefined();
    const loaded = new Set<string>();
    const visit = (file: string) => {
      if (loaded.has(file)) return;
      loaded.add(file);
      for (const [, next] of text(file).matchAll(/(?:\bfrom|\bimport)\s*"\.\/([\w-]+\.js)"/g)) visit(next!);
    };
    visit(command!);
    const peers = readdirSync(dist).filter((f) => f.endsWith('.js') && text(f).includes('var SseSubscriber='));
    expect(peers).toHaveLength(1);
    expect(loaded).not.toContain(peers[0]);
    expect([...loaded].some((f) => text(f).includes(`import("./${peers[0]}")`))).toBe(true);
  });

  test('holds no yaml package (a default start reads no YAML); a thresholds file loads it from node_modules', () => {
    const dist = dirname(CLI_ENTRY);
    const files = readdirSync(dist).filter((f) => f.endsWith('.js'));
    // yaml's flow-collection parser: in any bundle that holds the package.
    expect(files.filter((f) => readFileSync(join(dist, f), 'utf8').includes('parseFlowCollection'))).toEqual([]);
    const file = join(mkdtempSync(join(tmpdir(), 'obsmon-yaml-')), 'thresholds.yaml');
    writeFileSync(file, 'defaults:\n  cpu: { warning: 1, eror: 2 }\n');
    const result = run(BIN, ['check-config', 'bridge', '--thresholds', file]);
    expect(result.stderr).toContain(`${file}:2: defaults.cpu: unknown key "eror"`);
    expect(result.status).toBe(2);
  });

  test('the bridge it runs serves the status page and uplot, and judges reports by the built-in thresholds', async () => {
    bridge = await startBridgeProcess(['--log-level', 'warn']);
    expect(bridge.log).not.toContain(FALLBACK);
    const page = await fetch(`${bridge.httpUrl}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
    expect(page.headers.get('content-type')).toMatch(/^text\/html; charset=utf-8/i);
    const uplot = await fetch(`${bridge.httpUrl}/vendor/uPlot.iife.min.js`);
    expect(uplot.status).toBe(200);
    // Types from mime-db's table, which the bundle reads from node_modules.
    expect(uplot.headers.get('content-type')).toMatch(/^(text|application)\/javascript; charset=utf-8/i);
    expect((await uplot.text()).length).toBeGreaterThan(10_000);

    await sendAndClose(bridge.ingestPort, `compiled01 ${Math.floor(Date.now() / 1000)} cpu=97 mem=10 disk=10\n`);
    // config/thresholds.yaml, read from beside the sources: its limits appear on /metrics for the node.
    const text = await waitFor(
      'the threshold series of the node',
      async () => {
        const t = await bridge!.metricsText();
        return /^obsmon_threshold\{[^}]*node="compiled01"/m.test(t) ? t : undefined;
      },
      15_000,
      100,
    );
    expect(text).toMatch(/^obsmon_threshold\{[^}]*node="compiled01"[^}]*\} \d/m);
  });
});

describe('bin/obsmon.js never runs a stale build', () => {
  const root = mkdtempSync(join(tmpdir(), 'obsmon-bin-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const bin = join(root, 'bin/obsmon.js');
  const builtAt = Date.now();
  const past = new Date(builtAt - 60_000);

  // A tree shaped like the checkout: the real bin/obsmon.js, a "source" CLI and a "compiled" one that say which ran.
  function layout(): void {
    rmSync(root, { recursive: true, force: true });
    for (const dir of ['bin', 'cli', 'lib', 'dist/cli']) mkdirSync(join(root, dir), { recursive: true });
    copyFileSync(BIN, bin);
    symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'));
    writeFileSync(join(root, 'package.json'), '{ "type": "module" }\n');
    writeFileSync(
      join(root, 'cli/main.ts'),
      "export async function main(argv: readonly string[]): Promise<number> {\n  process.stdout.write(`sources ${argv.join(' ')}\\n`);\n  return 0;\n}\n",
    );
    writeFileSync(join(root, 'lib/part.ts'), 'export const part = 1;\n');
    writeFileSync(
      join(root, 'dist/cli/main.js'),
      "export async function main(argv) {\n  process.stdout.write(`compiled ${argv.join(' ')}\\n`);\n  return 0;\n}\n",
    );
    writeFileSync(
      join(root, 'dist/cli/inputs.json'),
      JSON.stringify({ builtAtMs: builtAt, inputs: ['cli/main.ts', 'lib/part.ts'] }),
    );
    for (const source of ['cli/main.ts', 'lib/part.ts']) utimesSync(join(root, source), past, past);
  }

  test('a build newer than every source it lists runs, silently', () => {
    layout();
    const result = run(bin, ['bridge', '--help']);
    expect(result.stdout).toBe('compiled bridge --help\n');
    expect(result.stderr).toBe('');
  });

  test.each([
    [
      'a source edited after the build',
      () => utimesSync(join(root, 'lib/part.ts'), new Date(), new Date()),
      'lib/part.ts changed since the build',
    ],
    [
      'a source deleted after the build',
      () => rmSync(join(root, 'lib/part.ts')),
      'lib/part.ts is gone since the build',
    ],
    ['no build at all', () => rmSync(join(root, 'dist'), { recursive: true }), 'dist/cli is not built'],
  ])('%s: the sources run through tsx, with one line on stderr saying why', (_, change, reason) => {
    layout();
    change();
    const result = run(bin, ['exporter', '--once']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toBe('sources exporter --once\n');
    expect(result.stderr).toBe(`obsmon: ${reason}; ${FALLBACK} (npm run build compiles it)\n`);
  });
});
