import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { main } from '../../cli/main.ts';
import { STANDARD_KEYS } from '../../protocol/keys.ts';
import { createTestPki, type TestPki } from '../helpers/test-certificates.ts';

const BIN = new URL('../../bin/obsmon.js', import.meta.url).pathname;
const BUILTIN = readFileSync(new URL('../../config/thresholds.yaml', import.meta.url), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'obsmon-check-config-'));
let pki: TestPki;
let busy: Server;
let busyPort: number;
beforeAll(async () => {
  pki = createTestPki();
  // A port taken by someone else: start-up would fail on it, a check must not even try.
  busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  busyPort = (busy.address() as { port: number }).port;
});
afterAll(() => {
  busy.close();
  rmSync(dir, { recursive: true, force: true });
  rmSync(pki.dir, { recursive: true, force: true });
});

/** Write `text` to `name` in the temp dir; returns its path. */
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const cleanEnv = (env: Record<string, string>) => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OBSMON_'))),
  ...env,
});

/** `obsmon check-config ...` as a child process, with only the given OBSMON_* variables. */
function check(args: readonly string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, 'check-config', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: cleanEnv(env),
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.split(dir).join('DIR') };
}

/** The same through the executable's entry point in this process (a child per case is seconds each here). */
async function checkHere(args: readonly string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  try {
    const status = await main(['check-config', ...args], cleanEnv(env));
    return { status, stdout, stderr: stderr.split(dir).join('DIR') };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe('obsmon check-config: exit 0 when the command would start', () => {
  test('the bridge with its defaults, on a port another process holds (nothing is opened)', () => {
    const r = check(['bridge', '--bind', '127.0.0.1', '--ingest-port', String(busyPort)]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('ok    thresholds: ');
    expect(r.stdout).toContain('obsmon check-config bridge: the configuration is valid');
  });

  test('the bridge with every file: thresholds, inventory, tokens, TLS, HTTP tokens, spool, config file', async () => {
    const tokens = file(
      'ok-tokens.yaml',
      'tokens:\n  - { name: cams, token: 0123456789abcdef0123, nodes: ["ccd*"] }\n',
    );
    const config = file(
      'ok-bridge.yaml',
      `inventory: ${file('ok-inventory.yaml', 'nodes:\n  - ccd01\n  - { name: dome01, critical: true }\n')}\nauth: required\nauth-tokens: ${tokens}\n`,
    );
    const r = await checkHere([
      'bridge',
      '--config',
      config,
      '--thresholds',
      file('ok-thresholds.yaml', BUILTIN),
      '--tls-port',
      '7443',
      '--tls-cert',
      pki.serverCert,
      '--tls-key',
      pki.serverKey,
      '--tls-client-ca',
      pki.caCert,
      '--http-bearer-tokens',
      file('ok-bearer', 'secret-bearer-token\n'),
      '--spool-dir',
      join(dir, 'spool', 'new'),
    ]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('ok    inventory: DIR/ok-inventory.yaml: 2 nodes'.replace('DIR', dir));
    expect(r.stdout).toContain(`ok    TLS ingest: port 7443, certificate ${pki.serverCert}`);
    expect(r.stdout).toContain(
      `ok    event log: ${join(dir, 'spool', 'new', 'events.jsonl')}: at most 10000 events, 7776000 s`,
    );
  });

  test('the bridge with --safety-rules: the rules are listed, one naming no inventory node is a warning, not a failure', async () => {
    const inventory = file('safety-inventory.yaml', 'nodes:\n  - { name: dome-plc, group: dome, critical: true }\n');
    const rules = file(
      'safety-rules.yaml',
      'unsafe:\n  - { when: down, critical: true }\n  - { when: error, group: dom }\n',
    );
    const r = await checkHere(['bridge', '--inventory', inventory, '--safety-rules', rules]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(
      `ok    safety rules: ${rules}: 2 rules (unsafe { when: down, critical: true }, { when: error, group: dom }); warning: unsafe[1] (when: error, group: dom) matches no inventory node\n`,
    );
    const none = await checkHere(['bridge']);
    expect(none.stdout).toContain(
      'ok    safety rules: none (--safety-rules not set): /api/v1/safety/indi is advisory only\n',
    );
  });

  test('an inventory with agentless devices: the probes are counted', async () => {
    const inventory = file(
      'ok-probes.yaml',
      'nodes:\n  - ccd01\n  - { name: dome-plc, probe: { tcp: "10.0.0.5:502" } }\n  - { name: weather, probe: { http: "http://weather.local/status" } }\n',
    );
    const r = await checkHere(['bridge', '--inventory', inventory]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`ok    inventory: ${inventory}: 3 nodes, 2 probed (agentless)`);
  });

  test('an inventory with maintenance windows: the windows are counted', async () => {
    const inventory = file(
      'ok-maintenance.yaml',
      'nodes:\n  - { name: dome-plc, group: dome }\nmaintenance:\n  - { group: dome, daily: "08:00-17:00", time_zone: America/Santiago }\n  - { node: dome-plc, until: "2026-12-01T12:00:00Z" }\n',
    );
    const r = await checkHere(['bridge', '--inventory', inventory]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`ok    inventory: ${inventory}: 1 node, 2 maintenance windows`);
  });

  test('a misspelt OBSMON_* variable is a warning naming the closest option, not a failure', async () => {
    const r = await checkHere(['exporter'], { OBSMON_SERVR: '10.0.0.5:7070' });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(
      'obsmon check-config exporter: warning: Environment variable OBSMON_SERVR is not an option of this command and is ignored (did you mean OBSMON_SERVER?)\n',
    );
  });
});

describe('obsmon check-config: exit 2 with one line per problem naming file, line and problem', () => {
  test('as a child process: exit status 2, the problem on stderr, what passed on stdout', () => {
    const r = check(['bridge', '--inventory', file('child.yaml', 'nodes:\n  - ccd01\n  - ccd01\n')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      'obsmon check-config bridge: DIR/child.yaml:3: nodes[1]: duplicate node "ccd01" (already listed as nodes[0])\n',
    );
    expect(r.stdout).toContain('FAIL  inventory\n');
    expect(r.stdout).toContain('ok    thresholds: ');
    expect(r.stdout).toContain('obsmon check-config bridge: 1 problem\n');
  });

  test.each([
    [
      'an unknown metric in the thresholds file',
      () => [
        'bridge',
        '--thresholds',
        file('cpuu.yaml', 'defaults:\n  cpu: { warning: 85, error: 95 }\n  cpuu: { warning: 1, error: 2 }\n'),
      ],
      [
        `bridge: DIR/cpuu.yaml:3: defaults.cpuu: unknown metric "cpuu" (expected one of ${STANDARD_KEYS.map((k) => k.key).join(', ')}, or a custom key listed in custom_metrics; did you mean "cpu"?)`,
      ],
    ],
    [
      'critical: yes in the inventory and bad YAML in the thresholds: every problem',
      () => [
        'bridge',
        '--inventory',
        file('yes.yaml', 'nodes:\n  - { name: a, critical: yes }\n'),
        '--thresholds',
        file('broken.yaml', 'defaults:\n  cpu: [85\n'),
      ],
      [
        'bridge: DIR/broken.yaml:3:1: invalid YAML in the thresholds file: Flow sequence in block collection must be sufficiently indented and end with a ]; line 2 reads "  cpu: [85"',
        'bridge: DIR/yes.yaml:2: nodes[0].critical: expected true or false, got "yes"',
      ],
    ],
    [
      'an unknown option in the --config file',
      () => ['bridge', '--config', file('listen.yaml', 'bind: 127.0.0.1\nlisten-port: 7070\n')],
      ['bridge: DIR/listen.yaml:2: unknown option "listen-port" (see --help)'],
    ],
    [
      "a bad option value in OBSMON_CONFIG's file",
      () => ['bridge'],
      ['bridge: Invalid --http-port 99999 (from config file DIR/port.yaml:2): expected a TCP port number 0..65535'],
      { OBSMON_CONFIG: file('port.yaml', 'bind: 127.0.0.1\nhttp-port: 99999\n') },
    ],
    [
      'a missing TLS certificate',
      () => ['bridge', '--tls-port', '7443', '--tls-cert', join(dir, 'missing.pem'), '--tls-key', pki.serverKey],
      ['bridge: Cannot read --tls-cert "DIR/missing.pem": ENOENT: no such file or directory, open \'DIR/missing.pem\''],
    ],
    [
      'a key that does not belong to the certificate',
      () => [
        'bridge',
        '--tls-port',
        '7443',
        '--tls-cert',
        pki.serverCert,
        '--tls-key',
        file('other.key', pki.client('other').key.toString()),
      ],
      [/^bridge: Invalid --tls-cert\/--tls-key\/--tls-client-ca: .*key values mismatch/],
    ],
    [
      '--auth required without tokens',
      () => ['bridge', '--auth', 'required'],
      ['bridge: Invalid --auth "required": requires --auth-tokens <file>'],
    ],
    [
      'a short token in the tokens file',
      () => [
        'bridge',
        '--auth',
        'required',
        '--auth-tokens',
        file('short.yaml', 'tokens:\n  - { token: short, nodes: ["*"] }\n'),
      ],
      ['bridge: DIR/short.yaml:2: tokens[0].token: tokens must be at least 16 characters'],
    ],
    [
      'a missing HTTP tokens file',
      () => ['bridge', '--http-bearer-tokens', join(dir, 'none')],
      ['bridge: Cannot read --http-bearer-tokens "DIR/none": ENOENT: no such file or directory, open \'DIR/none\''],
    ],
    [
      'a spool directory under a file',
      () => ['bridge', '--spool-dir', join(file('plain', ''), 'spool')],
      ['bridge: Invalid --spool-dir "DIR/plain/spool": DIR/plain is not a directory'],
    ],
    [
      'an events file in a missing directory',
      () => ['bridge', '--events-file', join(dir, 'no-such-dir', 'events.jsonl')],
      ['bridge: Invalid --events-file DIR/no-such-dir/events.jsonl: its directory DIR/no-such-dir does not exist'],
    ],
    [
      'an events file that is a directory',
      () => ['bridge', '--events-file', dir],
      ['bridge: Invalid --events-file "DIR": it is a directory'],
    ],
    [
      'InfluxDB options without a URL',
      () => ['bridge', '--influx-db', 'obsmon'],
      ['bridge: Invalid --influx-db (from options): requires --influx-url <url>'],
    ],
    [
      'an unknown condition in the safety rules',
      () => [
        'bridge',
        '--safety-rules',
        file('rules-bad.yaml', 'unsafe:\n  - { when: down, critical: true }\n  - { when: eror, group: dome }\n'),
      ],
      ['bridge: DIR/rules-bad.yaml:3: unsafe[1].when: expected down or error, got "eror"'],
    ],
    [
      'a probe whose timeout is not shorter than its interval',
      () => [
        'bridge',
        '--inventory',
        file('probe.yaml', 'nodes:\n  - name: dome-plc\n    probe: { tcp: "10.0.0.5:502", interval: 2, timeout: 2 }\n'),
      ],
      ['bridge: DIR/probe.yaml:3: nodes[0].probe.timeout: timeout (2 s) must be shorter than interval (2 s)'],
    ],
    [
      'a maintenance window in an unknown time zone',
      () => [
        'bridge',
        '--inventory',
        file(
          'maint.yaml',
          'nodes: [a]\nmaintenance:\n  - node: a\n    daily: "08:00-17:00"\n    time_zone: Chile/Santiago\n',
        ),
      ],
      [
        'bridge: DIR/maint.yaml:5: maintenance[0].time_zone: expected an IANA time zone such as UTC or America/Santiago, got "Chile/Santiago"',
      ],
    ],
    [
      '--enforce-inventory without an inventory',
      () => ['bridge', '--enforce-inventory'],
      ['bridge: Invalid --enforce-inventory true (from options): requires --inventory <file>'],
    ],
    [
      'an exporter token file that is missing',
      () => ['exporter', '--token-file', join(dir, 'no-token')],
      ['exporter: Cannot read --token-file "DIR/no-token": ENOENT: no such file or directory, open \'DIR/no-token\''],
    ],
    [
      'an exporter with half a client certificate',
      () => ['exporter', '--tls-cert', pki.serverCert],
      ['exporter: Invalid --tls-cert/--tls-key: give both or neither'],
    ],
    [
      'rts2-sensord writing the built-in thresholds',
      () => ['rts2-sensord', '--threshold-writes', 'file'],
      [
        'rts2-sensord: Invalid --threshold-writes "file": requires --thresholds <file> (the built-in file is never rewritten)',
      ],
    ],
    [
      'rts2-sensord with an invalid thresholds file',
      () => ['rts2-sensord', '--thresholds', file('order.yaml', 'defaults:\n  disk: { warning: 95, error: 90 }\n')],
      ['rts2-sensord: DIR/order.yaml:2: defaults.disk: warning must not be above error'],
    ],
    [
      'a bad flag value',
      () => ['exporter', '--interval', 'often'],
      ['exporter: Invalid --interval "often" (from flag --interval): expected seconds between 0.1 and 86400'],
    ],
  ] as Array<[string, () => string[], Array<string | RegExp>, Record<string, string>?]>)(
    '%s',
    async (_, args, problems, env) => {
      const r = await checkHere(args(), env);
      expect(r.status).toBe(2);
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(problems.length);
      problems.forEach((p, i) => {
        const line = lines[i]!.replace(/^obsmon check-config /, '');
        if (typeof p === 'string') expect(line).toBe(p);
        else expect(line).toMatch(p);
      });
    },
  );

  test.each([
    ['no command', []],
    ['an unknown command', ['bridgee']],
  ])('%s prints the usage and exits 2', async (_, args) => {
    const r = await checkHere(args);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('Usage: obsmon check-config <bridge|exporter|rts2-sensord>');
  });
});
