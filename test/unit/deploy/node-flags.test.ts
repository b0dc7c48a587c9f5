import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { nodeBundleOptions } from '../../../deploy/build/esbuild-options.ts';
import { AGENT_NODE_FLAGS, flagsText, NODE_FLAGS } from '../../../deploy/node-flags.ts';
import { debianFiles } from '../../../deploy/package/debian-files.ts';
import { winswXml } from '../../../deploy/package/windows-service.ts';

/*
 * obsmon's node flags (deploy/node-flags.ts) have one home and many launchers, each of which must write
 * them out on node's command line (V8 sizes its heap at start). Every launcher is read here and must
 * carry exactly its list (NODE_FLAGS for every process, AGENT_NODE_FLAGS where only the agent starts),
 * in that order: a launcher that drifts, or a flag added to the home and not to a launcher, fails.
 */
interface Service {
  readonly build?: string;
  readonly entrypoint?: string[];
}
const REPO = new URL('../../../', import.meta.url).pathname;
const read = (path: string) => readFileSync(join(REPO, path), 'utf8');
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** The words between `node` and the script it runs (`script` ends the flags), in one command line. */
function flagsBefore(command: string, script: string): string[] {
  const words = command.trim().split(/\s+/);
  const node = words.findIndex((w) => w === 'node' || w.endsWith('/node'));
  const at = words.findIndex((w, i) => i > node && w.endsWith(script));
  expect(node, `no node in: ${command}`).toBeGreaterThanOrEqual(0);
  expect(at, `no ${script} in: ${command}`).toBeGreaterThan(node);
  return words.slice(node + 1, at);
}

/** The node flags of a shebang line `#!/usr/bin/env -S node <flags>`. */
function shebangFlags(firstLine: string): string[] {
  expect(firstLine).toMatch(/^#!\/usr\/bin\/env -S node( |$)/);
  return firstLine.split(/\s+/).slice(3);
}

describe("obsmon's node flags, one home (deploy/node-flags.ts) and every launcher", () => {
  test.each([
    ['NODE_FLAGS', NODE_FLAGS],
    ['AGENT_NODE_FLAGS', AGENT_NODE_FLAGS],
  ])('%s is a list of flags this node takes without a word on stderr', (_, flags) => {
    expect(flags.length).toBeGreaterThan(0);
    for (const flag of flags) expect(flag).toMatch(/^--[a-z0-9-]+(=\S+)?$/);
    // An unknown or conflicting V8 flag only warns at every start; node's own unknown flags exit 9.
    const check = spawnSync(process.execPath, [...flags, '-e', ''], { encoding: 'utf8' });
    expect(check.status, check.stderr).toBe(0);
    expect(check.stderr).toBe('');
  });

  test("each list bounds the young generation (its own size), only the bridge's has one V8 worker thread", () => {
    const semiSpace = (flags: readonly string[]) => flags.filter((f) => f.startsWith('--max-semi-space-size='));
    expect(semiSpace(NODE_FLAGS)).toEqual(['--max-semi-space-size=2']);
    expect(semiSpace(AGENT_NODE_FLAGS)).toEqual(['--max-semi-space-size=4']);
    expect(NODE_FLAGS).toContain('--v8-pool-size=1');
    expect(AGENT_NODE_FLAGS.filter((f) => f.startsWith('--v8-pool-size'))).toEqual([]);
  });

  test.runIf(process.platform === 'linux')('--v8-pool-size=1 leaves node fewer threads (its default pool is 4)', () => {
    const threads = (flags: readonly string[]) => {
      const script = "process.stdout.write(String(require('fs').readdirSync('/proc/self/task').length))";
      return Number(spawnSync(process.execPath, [...flags, '-e', script], { encoding: 'utf8' }).stdout);
    };
    const without = NODE_FLAGS.filter((f) => f !== '--v8-pool-size=1');
    expect(threads(NODE_FLAGS)).toBeLessThan(threads(without));
  });

  test('bin/obsmon.js (and so npm bin links and shims) and the agent bundle carry them in their shebang', () => {
    expect(shebangFlags(read('bin/obsmon.js').split('\n')[0]!)).toEqual(NODE_FLAGS);
    // The agent bundle is the agent only (deploy/package/build.ts).
    const banner = String(nodeBundleOptions(18, AGENT_NODE_FLAGS).banner?.['js']);
    expect(shebangFlags(banner.split('\n')[0]!)).toEqual(AGENT_NODE_FLAGS);
    expect(String(nodeBundleOptions(20).banner?.['js'])).not.toContain('#!');
  });

  test('a program with that shebang runs with the flags (env -S splits them on this system)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'obsmon-flags-'));
    dirs.push(dir);
    const script = join(dir, 'argv.mjs');
    const shebang = read('bin/obsmon.js').split('\n')[0]!;
    writeFileSync(script, `${shebang}\nprocess.stdout.write(JSON.stringify(process.execArgv));\n`);
    chmodSync(script, 0o755);
    // env looks node up on PATH, as it does for an installed obsmon: the node running these tests.
    const run = spawnSync(script, [], {
      encoding: 'utf8',
      env: { ...process.env, PATH: `${join(process.execPath, '..')}:${process.env['PATH'] ?? ''}` },
    });
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(NODE_FLAGS);
  });

  test('the systemd units, the Dockerfile, the macOS plist and npm start pass them to node', () => {
    for (const [unit, flags] of [
      ['obsmon-bridge.service', NODE_FLAGS],
      ['obsmon-exporter.service', AGENT_NODE_FLAGS],
    ] as const) {
      const execStart = /^ExecStart=(.*)$/m.exec(read(`deploy/systemd/${unit}`))![1]!;
      expect(flagsBefore(execStart, 'bin/obsmon.js'), unit).toEqual(flags);
    }
    const entrypoint = /^ENTRYPOINT (.*)$/m.exec(read('Dockerfile'))![1]!;
    const words = JSON.parse(entrypoint) as string[];
    expect(words).toEqual(['node', ...NODE_FLAGS, 'bin/obsmon.js']);
    const plist = read('deploy/macos/org.obsmon.exporter.plist');
    const command = /<string>(echo .*exec node .*)<\/string>/.exec(plist)![1]!;
    expect(flagsBefore(command, 'obsmon-agent.mjs')).toEqual(AGENT_NODE_FLAGS);
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    for (const name of ['start', 'demo'])
      expect(flagsBefore(scripts[name]!, 'bin/obsmon.js'), `npm run ${name}`).toEqual(NODE_FLAGS);
  });

  test('compose: the exporter service has the agent entrypoint, every other obsmon service the image one', () => {
    const services = (parse(read('docker-compose.yml')) as { services: Record<string, Service> }).services;
    const obsmon = Object.entries(services).filter(([, s]) => s.build === '.');
    expect(obsmon.map(([name]) => name)).toContain('exporter');
    for (const [name, service] of obsmon) {
      if (name === 'exporter') expect(service.entrypoint).toEqual(['node', ...AGENT_NODE_FLAGS, 'bin/obsmon.js']);
      else expect(service.entrypoint, name).toBeUndefined();
    }
  });

  test('the Debian package wrapper and the Windows service XML are generated with them', () => {
    const wrapper = debianFiles('0.0.0', read('deploy/systemd/obsmon-exporter.service'), '').find(
      (f) => f.path === 'usr/bin/obsmon',
    )!;
    const exec = wrapper.content.split('\n').find((l) => l.startsWith('exec '))!;
    expect(flagsBefore(exec, 'obsmon-agent.mjs')).toEqual(AGENT_NODE_FLAGS);
    const args = [...winswXml('0.0.0').matchAll(/<argument>([^<]*)<\/argument>/g)].map((m) => m[1]);
    expect(args.slice(0, AGENT_NODE_FLAGS.length)).toEqual(AGENT_NODE_FLAGS);
    expect(args[AGENT_NODE_FLAGS.length]).toMatch(/obsmon-agent\.mjs$/);
  });

  test('flagsText is a list on one command line', () => {
    expect(flagsText(AGENT_NODE_FLAGS).split(' ')).toEqual(AGENT_NODE_FLAGS);
  });
});

describe('the bridge that tests and the bench start (testkit/bridge-process.ts)', () => {
  test("runs bin/obsmon.js with the flags, then the caller's own node flags", async () => {
    const { startBridgeProcess } = await import('../../../testkit/bridge-process.ts');
    const bridge = await startBridgeProcess(['--log-level', 'warn'], { nodeFlags: ['--stack-trace-limit=20'] });
    try {
      const argv = readFileSync(`/proc/${bridge.pid}/cmdline`, 'utf8').split('\0');
      const bin = argv.findIndex((a) => a.endsWith('bin/obsmon.js'));
      expect(argv.slice(1, bin)).toEqual([...NODE_FLAGS, '--stack-trace-limit=20']);
    } finally {
      await bridge.stop();
    }
  }, 60_000);
});
