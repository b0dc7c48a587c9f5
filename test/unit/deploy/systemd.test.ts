import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { AGENT_NODE_FLAGS, flagsText, NODE_FLAGS } from '../../../deploy/node-flags.ts';

const REPO = new URL('../../../', import.meta.url).pathname;
const UNITS = ['obsmon-bridge.service', 'obsmon-exporter.service'] as const;

/** A unit file as section → key → values (a key may repeat, e.g. SystemCallFilter). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const section = /^\[(\w+)\]$/.exec(line);
    if (section !== null) {
      current = new Map();
      sections.set(section[1]!, current);
      continue;
    }
    const kv = /^(\w+)=(.*)$/.exec(line);
    if (kv === null || current === undefined) throw new Error(`not a unit file line: ${line}`);
    current.set(kv[1]!, [...(current.get(kv[1]!) ?? []), kv[2]!]);
  }
  return sections;
}

const units = Object.fromEntries(
  UNITS.map((u) => [u, parseUnit(readFileSync(join(REPO, 'deploy/systemd', u), 'utf8'))]),
);
const hasSystemdAnalyze = spawnSync('sh', ['-c', 'command -v systemd-analyze']).status === 0;

describe('systemd units in deploy/systemd', () => {
  test.each(UNITS)(
    '%s starts obsmon at boot after the network, restarts it, and reads OBSMON_* options from /etc/obsmon',
    (unit) => {
      const u = units[unit]!;
      const service = u.get('Service')!;
      expect(u.get('Install')!.get('WantedBy')).toEqual(['multi-user.target']);
      expect(u.get('Unit')!.get('After')).toEqual(['network-online.target']);
      expect(u.get('Unit')!.get('Wants')).toEqual(['network-online.target']);
      const subcommand = unit === 'obsmon-bridge.service' ? 'bridge' : 'exporter';
      expect(service.get('ExecStart')).toEqual([
        `/usr/bin/node ${flagsText(subcommand === 'bridge' ? NODE_FLAGS : AGENT_NODE_FLAGS)} /opt/obsmon/bin/obsmon.js ${subcommand}`,
      ]);
      expect(service.get('EnvironmentFile')).toEqual([`-/etc/obsmon/${subcommand}.env`]);
      expect(service.get('Restart')?.[0]).toMatch(/^(always|on-failure)$/);
      // SIGHUP reloads (bridge) or is logged and ignored (exporter); without a handler it would end the process.
      expect(service.get('ExecReload')).toEqual(['/bin/kill -HUP $MAINPID']);
    },
  );

  test.each(UNITS)('%s is hardened without breaking Node or the measurements', (unit) => {
    const service = units[unit]!.get('Service')!;
    for (const [key, value] of [
      ['DynamicUser', 'yes'],
      ['NoNewPrivileges', 'yes'],
      ['ProtectSystem', 'strict'],
      ['CapabilityBoundingSet', ''],
      ['RestrictAddressFamilies', 'AF_INET AF_INET6 AF_UNIX'],
      ['SystemCallArchitectures', 'native'],
    ] as const) {
      expect(service.get(key), `${unit} ${key}`).toEqual([value]);
    }
    // V8's JIT writes executable memory: this option kills node at start-up.
    expect(service.has('MemoryDenyWriteExecute')).toBe(false);
    if (unit === 'obsmon-exporter.service') {
      // Hiding processes, /proc/stat or mounts would make the agent report wrong values.
      for (const key of ['ProtectProc', 'ProcSubset', 'PrivateTmp', 'PrivateNetwork'])
        expect(service.has(key), key).toBe(false);
      expect(service.get('ProtectHome')).toEqual(['read-only']);
    } else {
      expect(service.get('StateDirectory')).toEqual(['obsmon obsmon/spool']);
      expect(service.get('Environment')).toEqual(['OBSMON_SPOOL_DIR=/var/lib/obsmon/spool']);
    }
  });

  test('every variable of the example environment files is an option of the command', () => {
    for (const [file, subcommand] of [
      ['bridge.env.example', 'bridge'],
      ['exporter.env.example', 'exporter'],
    ] as const) {
      const help = spawnSync('node', ['bin/obsmon.js', subcommand, '--help'], {
        cwd: REPO,
        encoding: 'utf8',
        timeout: 30_000,
      }).stdout;
      const names = [...readFileSync(join(REPO, 'deploy/systemd', file), 'utf8').matchAll(/^#?(OBSMON_\w+)=/gm)].map(
        (m) => m[1]!,
      );
      expect(names.length).toBeGreaterThan(0);
      for (const name of names) expect(help, `${file}: ${name}`).toContain(`env ${name}`);
    }
  }, 60_000);

  // systemd-analyze comes with the Debian package `systemd`, which .ci/run and the test setup install.
  test('systemd-analyze verify accepts both units without a warning', () => {
    expect(hasSystemdAnalyze, 'systemd-analyze (Debian package systemd) is required').toBe(true);
    const result = spawnSync(
      'systemd-analyze',
      ['verify', '--man=no', ...UNITS.map((u) => join(REPO, 'deploy/systemd', u))],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr.trim()).toBe('');
  });
});
