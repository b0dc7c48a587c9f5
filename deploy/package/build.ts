/**
 * `npm run package`: the agent as one JavaScript file that runs on Node.js >= 18 with no
 * node_modules (dist/obsmon-agent.mjs), and a Debian package installing it as a boot-time service
 * (dist/obsmon-agent_<version>_all.deb), and a folder each for Windows and macOS (dist/windows,
 * dist/macos: the bundle, the service definition and an install script). docs/deploy.md tells how to
 * install each.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { nodeBundleOptions, REPO } from '../build/esbuild-options.ts';
import { AGENT_NODE_FLAGS } from '../node-flags.ts';
import { VERSION } from '../../lib/version.ts';
import { debianFiles } from './debian-files.ts';
import { BUNDLE_NAME, WINDOWS_SERVICE_ID, winswXml } from './windows-service.ts';

export const DIST = join(REPO, 'dist');
export const AGENT_BUNDLE = join(DIST, BUNDLE_NAME);
export const DEB_FILE = join(DIST, `obsmon-agent_${VERSION}_all.deb`);
export const WINDOWS_DIR = join(DIST, 'windows');
export const MACOS_DIR = join(DIST, 'macos');
/** The oldest Node.js the bundle targets: Debian 12's own `nodejs`. */
export const MIN_NODE_MAJOR = 18;

/**
 * The agent's bundle has no node_modules beside it, so config/yaml-lib.ts's `require('yaml')` at first
 * use (what keeps the package out of the bridge's default start) would find nothing: here the module
 * imports the package, which the bundle then holds.
 */
function bundledYaml(): Plugin {
  return {
    name: 'obsmon-bundled-yaml',
    setup(ctx) {
      ctx.onLoad({ filter: /\/config\/yaml-lib\.ts$/ }, (args) => ({
        contents: `import * as yaml from 'yaml';\nexport const yamlLib = () => yaml;\n`,
        resolveDir: join(args.path, '..'),
        loader: 'js',
      }));
    },
  };
}

export async function buildAgentBundle(outfile = AGENT_BUNDLE): Promise<void> {
  await build({
    ...nodeBundleOptions(MIN_NODE_MAJOR, AGENT_NODE_FLAGS),
    entryPoints: [join(REPO, 'deploy/package/agent-entry.ts')],
    outfile,
    // Installed on its own (no package.json beside it): the version is written in.
    define: { OBSMON_BUNDLED_VERSION: JSON.stringify(VERSION) },
    plugins: [bundledYaml()],
  });
  chmodSync(outfile, 0o755);
}

/** Lays out the package tree from the bundle and the repository's own unit and env file, then dpkg-deb. */
export function buildDeb(bundle = AGENT_BUNDLE, output = DEB_FILE): void {
  const root = join(DIST, 'deb-root');
  rmSync(root, { recursive: true, force: true });
  for (const file of debianFiles(
    VERSION,
    readFileSync(join(REPO, 'deploy/systemd/obsmon-exporter.service'), 'utf8'),
    readFileSync(join(REPO, 'deploy/systemd/exporter.env.example'), 'utf8'),
  )) {
    const path = join(root, file.path);
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, file.content, { mode: file.mode });
    chmodSync(path, file.mode);
  }
  mkdirSync(join(root, 'usr/lib/obsmon'), { recursive: true });
  copyFileSync(bundle, join(root, 'usr/lib/obsmon/obsmon-agent.mjs'));
  const result = spawnSync('dpkg-deb', ['--root-owner-group', '--build', root, output], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`dpkg-deb failed: ${result.error?.message ?? result.stderr}`);
}

/**
 * The folders an operator copies to a Windows or macOS machine: the bundle, the service definition and
 * the install script, which installs from its own folder. The WinSW XML is generated; WinSW itself is
 * not shipped (the site provides it: docs/deploy.md).
 */
export function buildServiceFolders(bundle = AGENT_BUNDLE, windowsDir = WINDOWS_DIR, macosDir = MACOS_DIR): void {
  for (const dir of [windowsDir, macosDir]) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    copyFileSync(bundle, join(dir, BUNDLE_NAME));
  }
  writeFileSync(join(windowsDir, `${WINDOWS_SERVICE_ID}.xml`), winswXml(VERSION));
  for (const script of ['install-agent.ps1', 'uninstall-agent.ps1'])
    copyFileSync(join(REPO, 'deploy/windows', script), join(windowsDir, script));
  for (const file of ['org.obsmon.exporter.plist', 'obsmon-exporter.newsyslog.conf', 'install-agent.sh'])
    copyFileSync(join(REPO, 'deploy/macos', file), join(macosDir, file));
  chmodSync(join(macosDir, 'install-agent.sh'), 0o755);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  mkdirSync(DIST, { recursive: true });
  await buildAgentBundle();
  buildDeb();
  buildServiceFolders();
  process.stdout.write(`${AGENT_BUNDLE}\n${DEB_FILE}\n${WINDOWS_DIR}\n${MACOS_DIR}\n`);
}
