#!/usr/bin/env -S node --max-semi-space-size=2 --v8-pool-size=1
// The flags after `node` are obsmon's node flags (deploy/node-flags.ts; env -S splits them on Linux and
// macOS, npm's bin shims on Windows copy them): `node bin/obsmon.js` without them runs, with more RSS.
// Runs the CLI compiled by `npm run build` (dist/cli/, built by `npm ci` too). When that is missing or
// older than a source file it was built from (one stat per source, well under a millisecond), it runs
// the TypeScript through tsx instead and says so once on stderr: edited sources never run stale.
import { readFileSync, statSync } from 'node:fs';

const REPO = new URL('../', import.meta.url);
const DIST = new URL('dist/cli/', REPO);

/** Why dist/cli cannot be run, or undefined when it is current. */
function staleReason() {
  let recorded;
  try {
    recorded = JSON.parse(readFileSync(new URL('inputs.json', DIST), 'utf8'));
  } catch {
    return 'dist/cli is not built';
  }
  for (const path of recorded.inputs) {
    let mtimeMs;
    try {
      mtimeMs = statSync(new URL(path, REPO)).mtimeMs;
    } catch {
      return `${path} is gone since the build`;
    }
    if (mtimeMs > recorded.builtAtMs) return `${path} changed since the build`;
  }
  return undefined;
}

const reason = staleReason();
let main;
if (reason === undefined) {
  ({ main } = await import(new URL('main.js', DIST).href));
} else {
  process.stderr.write(`obsmon: ${reason}; running the TypeScript through tsx (npm run build compiles it)\n`);
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../cli/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
