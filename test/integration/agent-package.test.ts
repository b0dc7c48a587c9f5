import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AGENT_BUNDLE, DEB_FILE, MACOS_DIR, MIN_NODE_MAJOR, WINDOWS_DIR } from '../../deploy/package/build.ts';
import { PACKAGE_NAME, SERVICE_USER } from '../../deploy/package/debian-files.ts';
import { winswXml } from '../../deploy/package/windows-service.ts';
import { VERSION } from '../../lib/version.ts';
import { parseLine } from '../../protocol/line.ts';
import { OLD_NODE } from '../helpers/old-node.ts';

/*
 * `npm run package` as an operator runs it, then the two ways an agent reaches a machine: the single
 * file copied alone next to an old Node.js (Debian 12's is 18; test/helpers/old-node.ts installs one),
 * and the .deb installed, verified and purged on this Debian machine (as root); and the folders an
 * operator copies to Windows and macOS (their contents: test/unit/deploy/windows.test.ts, macos.test.ts).
 */
const REPO = new URL('../../', import.meta.url).pathname;
const NODE_18 = OLD_NODE;

function run(command: string, args: string[], options: { cwd?: string; user?: string } = {}) {
  const [file, argv] =
    options.user === undefined ? [command, args] : ['runuser', ['-u', options.user, '--', command, ...args]];
  return spawnSync(file, argv, { cwd: options.cwd ?? REPO, encoding: 'utf8', timeout: 120_000 });
}

const dirs: string[] = [];
beforeAll(() => {
  const built = run('npm', ['run', '--silent', 'package']);
  expect(built.status, built.stderr).toBe(0);
}, 180_000);
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('the single-file agent', () => {
  test(`runs alone in an empty directory on Node.js ${MIN_NODE_MAJOR}: --once prints one valid report, --version the version`, () => {
    expect(run(NODE_18, ['--version']).stdout).toMatch(new RegExp(`^v${MIN_NODE_MAJOR}\\.`));
    const dir = mkdtempSync(join(tmpdir(), 'obsmon-agent-'));
    dirs.push(dir);
    copyFileSync(AGENT_BUNDLE, join(dir, 'obsmon-agent.mjs'));

    const once = run(NODE_18, ['obsmon-agent.mjs', 'exporter', '--once', '--node', 'bundle01'], { cwd: dir });
    expect(once.status, once.stderr).toBe(0);
    const parsed = parseLine(once.stdout.trimEnd());
    expect(parsed.ok && parsed.report.node).toBe('bundle01');
    expect(parsed.ok && parsed.report.samples.map((s) => s.key)).toEqual(
      expect.arrayContaining(['cpu', 'mem', 'disk', 'load1']),
    );

    expect(run(NODE_18, ['obsmon-agent.mjs', 'exporter', '--version'], { cwd: dir }).stdout).toBe(
      `obsmon ${VERSION}\n`,
    );
    // Only the agent is inside: no bridge, so no express, InfluxDB client or page files to carry.
    expect(run(NODE_18, ['obsmon-agent.mjs', 'bridge'], { cwd: dir }).status).toBe(2);
  });
});

describe('the Debian package', () => {
  test('installs the agent as a service with a system user and a config file, and removes and purges cleanly', () => {
    expect(process.getuid?.(), 'installing a .deb needs root (CI runs as root)').toBe(0);
    const info = run('dpkg-deb', ['--field', DEB_FILE, 'Package', 'Version', 'Depends']);
    expect(info.stdout).toContain(
      `Package: ${PACKAGE_NAME}\nVersion: ${VERSION}\nDepends: nodejs (>= ${MIN_NODE_MAJOR})`,
    );
    run('dpkg', ['--purge', PACKAGE_NAME]); // a left-over from an interrupted run

    const install = run('dpkg', ['-i', DEB_FILE]);
    expect(install.status, install.stderr).toBe(0);
    try {
      expect(run('id', ['-u', SERVICE_USER]).status, 'the system user exists').toBe(0);
      expect(readFileSync('/etc/obsmon/exporter.env', 'utf8')).toContain('OBSMON_SERVER=');
      // The agent runs as that user from the packaged files alone.
      const once = run('/usr/bin/obsmon', ['exporter', '--once', '--node', 'deb01'], { cwd: '/', user: SERVICE_USER });
      expect(once.status, once.stderr).toBe(0);
      expect(parseLine(once.stdout.trimEnd()).ok).toBe(true);
      expect(run('/usr/bin/obsmon', ['exporter', '--version'], { cwd: '/' }).stdout).toBe(`obsmon ${VERSION}\n`);
      const verify = run('systemd-analyze', ['verify', '/lib/systemd/system/obsmon-exporter.service']);
      expect(verify.status, verify.stderr).toBe(0);
      expect(verify.stderr.trim()).toBe('');
      const unit = readFileSync('/lib/systemd/system/obsmon-exporter.service', 'utf8');
      expect(unit).toContain('ExecStart=/usr/bin/obsmon exporter');
      expect(unit).toContain(`User=${SERVICE_USER}`);
    } finally {
      expect(run('dpkg', ['--remove', PACKAGE_NAME]).status).toBe(0);
    }
    expect(existsSync('/usr/bin/obsmon')).toBe(false);
    expect(existsSync('/usr/lib/obsmon')).toBe(false);
    expect(existsSync('/etc/obsmon/exporter.env'), 'remove keeps the configuration').toBe(true);
    expect(run('dpkg', ['--purge', PACKAGE_NAME]).status).toBe(0);
    expect(existsSync('/etc/obsmon/exporter.env')).toBe(false);
    expect(run('id', ['-u', SERVICE_USER]).status, 'purge removes the system user').not.toBe(0);
    expect(run('dpkg', ['-s', PACKAGE_NAME]).status).not.toBe(0);
  });
});

describe('the Windows and macOS folders', () => {
  test('hold the same bundle, the service definition and the install scripts, copied from deploy/', () => {
    const bundle = readFileSync(AGENT_BUNDLE);
    expect(readdirSync(WINDOWS_DIR).sort()).toEqual([
      'install-agent.ps1',
      'obsmon-agent.mjs',
      'obsmon-exporter.xml',
      'uninstall-agent.ps1',
    ]);
    expect(readFileSync(join(WINDOWS_DIR, 'obsmon-exporter.xml'), 'utf8')).toBe(winswXml(VERSION));
    expect(readdirSync(MACOS_DIR).sort()).toEqual([
      'install-agent.sh',
      'obsmon-agent.mjs',
      'obsmon-exporter.newsyslog.conf',
      'org.obsmon.exporter.plist',
    ]);
    expect(statSync(join(MACOS_DIR, 'install-agent.sh')).mode & 0o111).not.toBe(0);
    for (const dir of [WINDOWS_DIR, MACOS_DIR])
      expect(readFileSync(join(dir, 'obsmon-agent.mjs')).equals(bundle)).toBe(true);
    for (const [dir, source, files] of [
      [WINDOWS_DIR, 'deploy/windows', ['install-agent.ps1', 'uninstall-agent.ps1']],
      [MACOS_DIR, 'deploy/macos', ['install-agent.sh', 'obsmon-exporter.newsyslog.conf', 'org.obsmon.exporter.plist']],
    ] as const) {
      for (const file of files)
        expect(readFileSync(join(dir, file), 'utf8')).toBe(readFileSync(join(REPO, source, file), 'utf8'));
    }
  });
});
