/**
 * `npm run build` (also run by `npm ci`, through `prepare`, and by the test setup): the whole `obsmon`
 * CLI compiled to JavaScript in dist/cli/, which bin/obsmon.js runs instead of loading the TypeScript
 * through tsx at every start. dist/cli/inputs.json lists the repository files it was built from, so
 * bin/obsmon.js can tell (by mtime) when a source is newer than the build.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { Plugin } from 'esbuild';
import { BUILTIN_THRESHOLDS_PATH, embedThresholds } from '../../config/thresholds.ts';
import { nodeBundleOptions, REPO } from './esbuild-options.ts';

export const CLI_DIST = join(REPO, 'dist/cli');
/** What bin/obsmon.js imports: `main(argv)` of cli/main.ts. */
export const CLI_ENTRY = join(CLI_DIST, 'main.js');
/** The build's start time and the repository-relative paths of the sources in it. */
export const CLI_INPUTS = join(CLI_DIST, 'inputs.json');
// Node 20: what the project runs on (package.json engines); the agent-only bundle targets older ones.
const CLI_NODE_MAJOR = 20;

export interface CliInputs {
  readonly builtAtMs: number;
  readonly inputs: readonly string[];
}

/**
 * Code that finds files beside itself (`new URL('../page/', import.meta.url)`: the status page, the
 * built-in thresholds, package.json, uplot through createRequire) must see its source file's URL, not
 * the bundle's: each such module gets `import.meta.url` rewritten to its own path, relative to the
 * output file, which stays inside the checkout (dist/cli/).
 */
function sourceUrls(outdir: string): Plugin {
  return {
    name: 'obsmon-source-urls',
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, (args) => {
        if (args.path.includes('/node_modules/')) return undefined;
        const text = readFileSync(args.path, 'utf8');
        if (!text.includes('import.meta.url')) return undefined;
        const fromBundle = JSON.stringify(relative(outdir, args.path));
        return {
          contents: text.replaceAll('import.meta.url', `new URL(${fromBundle}, import.meta.url).href`),
          loader: 'ts',
        };
      });
    },
  };
}

/**
 * Parts of dependencies that obsmon never runs but that a bundle would hold as source text in every
 * process (V8 keeps each script's whole source while any of its functions lives, compiled or not):
 * - zod's translations of its error messages (~290 KB): zod/mini (config/zod.ts), like the classic
 *   API, re-exports them all as `z.locales`, a namespace a bundler cannot tree-shake; obsmon uses
 *   only `en` (config/zod.ts configures it), so the namespace here holds `en` only.
 * - iconv-lite's code tables for the CJK multi-byte encodings (~390 KB, behind express's body parser,
 *   each `require`d only when such an encoding is first decoded; express.json refuses every charset
 *   but UTF-8/16/32 before decoding) and its single-byte ones (sbcs-data-generated, ~58 KB, evaluated
 *   on the first body parsed): left out of the bundle, they load from node_modules if ever asked for.
 * - mime-db's table (~150 KB of JSON, behind express's mime-types, read when express loads): bundled,
 *   it is a script whose object literal V8 keeps as source, bytecode and a boilerplate copy beside the
 *   object itself; from node_modules it is one JSON.parse and only the object stays.
 * - @opentelemetry/api (~45 KB, prom-client's process CPU counters read a trace span from it only when
 *   exemplars are on, which obsmon never turns on): a stand-in that loads it from node_modules on first use.
 */
function leanDependencies(): Plugin {
  return {
    name: 'obsmon-lean-dependencies',
    setup(build) {
      build.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
        args.importer.includes('/node_modules/zod/')
          ? { path: join(args.resolveDir, '../locales/en.js'), namespace: 'zod-locales' }
          : undefined,
      );
      build.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
        contents: `export { default as en } from ${JSON.stringify(args.path)};`,
        resolveDir: dirname(args.path),
        loader: 'js',
      }));
      build.onResolve({ filter: /^\.\/(tables\/[\w-]+\.json|sbcs-data-generated)$/ }, (args) =>
        args.importer.includes('/node_modules/iconv-lite/encodings/')
          ? { path: `iconv-lite/encodings/${args.path.slice(2)}`, external: true }
          : undefined,
      );
      build.onResolve({ filter: /^\.\/db\.json$/ }, (args) =>
        args.importer.includes('/node_modules/mime-db/') ? { path: 'mime-db/db.json', external: true } : undefined,
      );
      build.onResolve({ filter: /^@opentelemetry\/api$/ }, (args) =>
        args.importer.includes('/node_modules/prom-client/')
          ? { path: args.path, namespace: 'lazy-otel' }
          : args.namespace === 'lazy-otel'
            ? { path: args.path, external: true }
            : undefined,
      );
      build.onLoad({ filter: /.*/, namespace: 'lazy-otel' }, () => ({
        contents: `let api; module.exports = new Proxy({}, { get: (_, key) => (api ??= require('@opentelemetry/api'))[key] });`,
        loader: 'js',
      }));
    },
  };
}

/**
 * config/builtin-thresholds.ts as the bundle holds it: config/thresholds.yaml validated at build time, as
 * JSON text with the file's size and mtime (the bundle uses it while the file is unchanged). A default
 * start then loads no `yaml` package (config/yaml-lib.ts loads it on first use, from node_modules).
 */
export function builtinThresholdsModule(path = BUILTIN_THRESHOLDS_PATH): string {
  return `export const EMBEDDED_THRESHOLDS = ${JSON.stringify(embedThresholds(path))};\n`;
}

function embeddedThresholds(): Plugin {
  return {
    name: 'obsmon-embedded-thresholds',
    setup(build) {
      build.onLoad({ filter: /\/config\/builtin-thresholds\.ts$/ }, () => ({
        contents: builtinThresholdsModule(),
        loader: 'js',
      }));
    },
  };
}

/** Compiles cli/main.ts and what it imports into `outdir`; returns the inputs it recorded. */
export async function buildCli(outdir = CLI_DIST): Promise<CliInputs> {
  const { build } = await import('esbuild');
  const builtAtMs = Date.now();
  rmSync(outdir, { recursive: true, force: true });
  mkdirSync(outdir, { recursive: true });
  const result = await build({
    ...nodeBundleOptions(CLI_NODE_MAJOR),
    entryPoints: [join(REPO, 'cli/main.ts')],
    outdir,
    // Commands and rarely used parts (systeminformation off Linux) load only when run: less to parse and hold.
    splitting: true,
    chunkNames: '[name]-[hash]',
    // Under `node --enable-source-maps` stack traces name the .ts lines; opt-in, as loading the maps costs
    // ~6 MB of RSS per process (without them a trace still names the functions).
    sourcemap: true,
    sourcesContent: false,
    // A native addon: loaded from node_modules at run time.
    external: ['snappy'],
    metafile: true,
    absWorkingDir: REPO,
    plugins: [embeddedThresholds(), sourceUrls(outdir), leanDependencies()],
  });
  const inputs = Object.keys(result.metafile.inputs)
    // Repository files only: not dependencies, nor the stand-ins of leanDependencies (`namespace:path`).
    .filter((path) => !path.includes('node_modules/') && !path.includes(':'))
    .sort();
  const recorded: CliInputs = { builtAtMs, inputs };
  writeFileSync(join(outdir, 'inputs.json'), `${JSON.stringify(recorded)}\n`);
  return recorded;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    await import('esbuild');
  } catch {
    // `npm ci --omit=dev` has no esbuild: bin/obsmon.js then runs the TypeScript through tsx (and says so).
    process.stderr.write('obsmon build: esbuild is not installed (a production-only install); not compiling\n');
    process.exit(0);
  }
  const { inputs } = await buildCli();
  process.stdout.write(`${relative(REPO, CLI_DIST)}: ${inputs.length} source files compiled\n`);
}
