/**
 * The esbuild settings both bundles share (one home): the full CLI (deploy/build/cli-bundle.ts, what
 * bin/obsmon.js runs) and the agent-only single file (deploy/package/build.ts). No keepNames: it wraps
 * every named function and class in a call that sets `.name`, closures included, on hot paths too.
 */
import type { BuildOptions } from 'esbuild';

export const REPO = new URL('../../', import.meta.url).pathname;

/**
 * Bundled CommonJS dependencies (prom-client, express, systeminformation) call require() for Node's own
 * modules (and, from the CLI bundle, for the externals); an ES module has no require, so each output
 * file makes one from its own URL.
 */
const REQUIRE_SHIM = `import { createRequire as __obsmonRequire } from 'node:module';\nconst require = __obsmonRequire(import.meta.url);`;

/**
 * ES module bundle for Node.js `nodeMajor` and later; `shebangFlags` for a file run as a program: its
 * shebang starts node with them (deploy/node-flags.ts).
 */
export function nodeBundleOptions(nodeMajor: number, shebangFlags?: readonly string[]): BuildOptions {
  return {
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: `node${nodeMajor}`,
    // Whitespace only: names stay, so a stack trace reads without the source maps (which point positions at the .ts lines).
    minifyWhitespace: true,
    legalComments: 'none',
    banner: {
      js: `${shebangFlags === undefined ? '' : `${['#!/usr/bin/env -S node', ...shebangFlags].join(' ')}\n`}${REQUIRE_SHIM}`,
    },
    logLevel: 'warning',
  };
}
