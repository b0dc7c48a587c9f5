import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { AGENT_NODE_FLAGS, flagsText } from '../../../deploy/node-flags.ts';
import { buildAgentBundle } from '../../../deploy/package/build.ts';
import { BUNDLE_NAME } from '../../../deploy/package/windows-service.ts';
import { freePort } from '../../../testkit/free-port.ts';
import { waitFor } from '../../helpers/wait-for.ts';

/*
 * The macOS LaunchDaemon as far as Linux can check it: the plist read by Python's plistlib (as strict
 * as launchd about the format), the newsyslog entry that rotates its log, the install script's syntax,
 * and the daemon's own command line run for real, on the bundle, to show the pid newsyslog signals is
 * the agent's and that its SIGTERM ends the agent cleanly (launchd's KeepAlive then starts it again).
 */
const REPO = new URL('../../../', import.meta.url).pathname;
const MACOS = join(REPO, 'deploy/macos');
const LIB = '/usr/local/lib/obsmon';
const LOG_DIR = '/var/log/obsmon';

interface Plist {
  Label: string;
  ProgramArguments: string[];
  EnvironmentVariables: Record<string, string>;
  RunAtLoad: boolean;
  KeepAlive: boolean;
  UserName: string;
  StandardOutPath: string;
  StandardErrorPath: string;
}

function readPlist(): Plist {
  const script = 'import json, plistlib, sys; print(json.dumps(plistlib.load(open(sys.argv[1], "rb"))))';
  const result = spawnSync('python3', ['-c', script, join(MACOS, 'org.obsmon.exporter.plist')], {
    encoding: 'utf8',
    timeout: 20_000,
  });
  expect(result.status, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Plist;
}

/** newsyslog.conf(5): logfilename [owner:group] mode count size when flags [/pid_file] [sig_num]. */
function newsyslogEntries(): string[][] {
  return readFileSync(join(MACOS, 'obsmon-exporter.newsyslog.conf'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('#'))
    .map((line) => line.trim().split(/\s+/));
}

const plist = readPlist();
const [shell, dashC, command] = plist.ProgramArguments;
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('launchd daemon for macOS', () => {
  test('starts the single-file bundle with `exporter` at boot, kept alive, as an unprivileged user', () => {
    expect(plist.Label).toBe('org.obsmon.exporter');
    expect([shell, dashC]).toEqual(['/bin/sh', '-c']);
    expect(command).toBe(
      `echo $$ > ${LOG_DIR}/exporter.pid && exec node ${flagsText(AGENT_NODE_FLAGS)} ${LIB}/${BUNDLE_NAME} exporter`,
    );
    expect([plist.RunAtLoad, plist.KeepAlive]).toEqual([true, true]);
    expect(plist.UserName).toBe('nobody');
    // node from the Node.js pkg or from Homebrew on Apple silicon.
    expect(plist.EnvironmentVariables.PATH!.split(':')).toEqual(
      expect.arrayContaining(['/usr/local/bin', '/opt/homebrew/bin']),
    );
    const help = spawnSync('node', ['bin/obsmon.js', 'exporter', '--help'], {
      cwd: REPO,
      encoding: 'utf8',
      timeout: 30_000,
    }).stdout;
    const options = Object.keys(plist.EnvironmentVariables).filter((name) => name.startsWith('OBSMON_'));
    expect(options).toEqual(['OBSMON_SERVER']);
    for (const name of options) expect(help).toContain(`env ${name}`);
  }, 30_000);

  test("newsyslog rotates the daemon's log and signals the pid the daemon writes, with SIGTERM", () => {
    const entries = newsyslogEntries();
    expect(entries).toHaveLength(1);
    const [logfile, owner, mode, count, size, when, flags, pidFile, signal, ...rest] = entries[0]!;
    expect(rest).toEqual([]);
    expect([plist.StandardOutPath, plist.StandardErrorPath]).toEqual([logfile, logfile]);
    expect(dirname(logfile!)).toBe(LOG_DIR);
    // The new file belongs to the daemon's user, or it could not write its log after a rotation.
    expect(owner).toBe(`${plist.UserName}:wheel`);
    expect(mode).toMatch(/^0?6[0-7]0$/);
    expect(Number(count)).toBeGreaterThan(0);
    expect(Number(size) * Number(count)).toBeLessThanOrEqual(100 * 1024);
    expect(when).toBe('*');
    // "-" holds the place of the flags: no compression of a file the agent may still be writing.
    expect(flags).toBe('-');
    expect(command).toContain(`echo $$ > ${pidFile} && exec `);
    // SIGHUP would not do: the exporter carries on after it, still writing to the rotated file.
    expect(Number(signal)).toBe(constants.signals.SIGTERM);
  });

  test('install-agent.sh parses (sh and bash) and installs the files where the plist and the newsyslog entry expect them', () => {
    const script = join(MACOS, 'install-agent.sh');
    for (const sh of ['sh', 'bash']) {
      const parsed = spawnSync(sh, ['-n', script], { encoding: 'utf8' });
      expect(parsed.status, `${sh} -n: ${parsed.stderr}`).toBe(0);
    }
    const text = readFileSync(script, 'utf8');
    expect(text).toContain(`LIB=${LIB}\n`);
    expect(text).toContain('install -m 0644 "$HERE/obsmon-agent.mjs" "$LIB/obsmon-agent.mjs"');
    expect(text).toContain(`LOGDIR=${LOG_DIR}\n`);
    expect(text).toContain(`USER_NAME=${plist.UserName}\n`);
    expect(text).toContain('PLIST=/Library/LaunchDaemons/$LABEL.plist');
    expect(text).toContain(`LABEL=${plist.Label}\n`);
    expect(text).toContain('NEWSYSLOG=/etc/newsyslog.d/obsmon-exporter.conf');
    // The node the script checks is the one the daemon runs.
    expect(text).toContain(`PATH=${plist.EnvironmentVariables.PATH}:`);
    expect(text).toContain('plutil -replace EnvironmentVariables.OBSMON_SERVER -string "$SERVER" "$PLIST"');
    // Upgrade and uninstall stop the running daemon first.
    expect(text.match(/launchctl bootout "system\/\$LABEL"/g)).toHaveLength(2);
    expect(text.lastIndexOf('launchctl bootout')).toBeLessThan(text.indexOf('launchctl bootstrap system "$PLIST"'));
  });

  test("the daemon's command runs the bundle under the pid it writes, and SIGTERM (newsyslog's signal) ends it cleanly", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'obsmon-launchd-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'lib'));
    mkdirSync(join(dir, 'log'));
    await buildAgentBundle(join(dir, 'lib', BUNDLE_NAME));
    const local = command!.replaceAll(LIB, join(dir, 'lib')).replaceAll(LOG_DIR, join(dir, 'log'));
    // No bridge listens there: the agent keeps running and retrying, as on a machine whose bridge is down.
    const server = `127.0.0.1:${await freePort()}`;
    // Output to the log file, as launchd's StandardOutPath and StandardErrorPath do.
    const logFile = join(dir, 'log/exporter.log');
    const log = openSync(logFile, 'a');
    const child = spawn(shell!, [dashC!, local], {
      env: { PATH: `${dirname(process.execPath)}:/usr/bin:/bin`, OBSMON_SERVER: server, OBSMON_INTERVAL: '1' },
      stdio: ['ignore', log, log],
    });
    closeSync(log);
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const pid = await waitFor(
        'the pid file',
        () => readFileSync(join(dir, 'log/exporter.pid'), 'utf8').trim(),
        20_000,
      );
      expect(Number(pid)).toBe(child.pid);
      // The process behind that pid is node running the bundle, not a shell that would take the signal.
      await waitFor(
        'the agent under that pid',
        () => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('exporter'),
        20_000,
      );
      expect(
        readFileSync(`/proc/${pid}/cmdline`, 'utf8')
          .split('\0')
          .slice(1, 3 + AGENT_NODE_FLAGS.length),
      ).toEqual([...AGENT_NODE_FLAGS, join(dir, 'lib', BUNDLE_NAME), 'exporter']);
      // Running and retrying (its signal handlers are set once it has started): as newsyslog finds it.
      await waitFor(
        'the agent retrying its bridge',
        () => readFileSync(logFile, 'utf8').includes('No server reachable'),
        30_000,
      );
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(readFileSync(logFile, 'utf8')).toContain('SIGTERM received, shutting down');
    } finally {
      child.kill('SIGKILL');
    }
  }, 90_000);
});
