import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  BUNDLE_NAME,
  DEFAULT_NODE_EXE,
  LOG_KEEP_FILES,
  LOG_SIZE_KB,
  WINDOWS_SERVICE_ID,
  winswXml,
} from '../../../deploy/package/windows-service.ts';
import { VERSION } from '../../../lib/version.ts';
import { AGENT_NODE_FLAGS } from '../../../deploy/node-flags.ts';

/*
 * The Windows service as far as a Debian machine can check it: the WinSW definition that
 * `npm run package` writes, read by a real XML parser (Python's ElementTree), and the PowerShell
 * scripts, checked for structure (Debian has no PowerShell package to parse them with).
 */
const REPO = new URL('../../../', import.meta.url).pathname;

interface XmlNode {
  readonly tag: string;
  readonly attrib: Record<string, string>;
  readonly text: string;
  readonly children: XmlNode[];
}

function parseXml(xml: string): XmlNode {
  const script = [
    'import json, sys, xml.etree.ElementTree as ET',
    'def node(e): return {"tag": e.tag, "attrib": e.attrib, "text": (e.text or "").strip(), "children": [node(c) for c in e]}',
    'print(json.dumps(node(ET.fromstring(sys.stdin.buffer.read()))))',
  ].join('\n');
  const result = spawnSync('python3', ['-c', script], { input: xml, encoding: 'utf8', timeout: 20_000 });
  if (result.status !== 0) throw new Error(`not well-formed XML: ${result.stderr}`);
  return JSON.parse(result.stdout) as XmlNode;
}

const all = (parent: XmlNode, tag: string): XmlNode[] => parent.children.filter((c) => c.tag === tag);
function one(parent: XmlNode, tag: string): XmlNode {
  const found = all(parent, tag);
  expect(found, `exactly one <${tag}> in <${parent.tag}>`).toHaveLength(1);
  return found[0]!;
}

describe('the WinSW service definition (dist/windows/obsmon-exporter.xml)', () => {
  const service = parseXml(winswXml(VERSION));

  test('runs the bundle beside it with `exporter` on node.exe, at boot', () => {
    expect(service.tag).toBe('service');
    expect(one(service, 'id').text).toBe(WINDOWS_SERVICE_ID);
    expect(one(service, 'executable').text).toBe(DEFAULT_NODE_EXE);
    // One <argument> each: WinSW quotes them, so C:\Program Files\obsmon is one argument.
    expect(all(service, 'argument').map((a) => a.text)).toEqual([
      ...AGENT_NODE_FLAGS,
      `%BASE%\\${BUNDLE_NAME}`,
      'exporter',
    ]);
    expect(all(service, 'arguments')).toEqual([]);
    expect(one(service, 'startmode').text).toBe('Automatic');
    expect(one(service, 'description').text).toContain(VERSION);
  });

  test('restarts the agent on every failure and resets the count after an hour of running', () => {
    const failures = all(service, 'onfailure');
    expect(failures.length).toBeGreaterThan(0);
    // WinSW repeats the last action for every further failure: the last one must be a restart.
    for (const failure of failures) expect(failure.attrib.action).toBe('restart');
    for (const failure of failures) expect(failure.attrib.delay).toMatch(/^\d+ sec$/);
    expect(one(service, 'resetfailure').text).toBe('1 hour');
    expect(one(service, 'stoptimeout').text).toMatch(/^\d+ sec$/);
  });

  test('writes the output to size-rotated files in a logs folder, a bounded number of them', () => {
    expect(one(service, 'logpath').text).toBe('%BASE%\\logs');
    const log = one(service, 'log');
    expect(log.attrib.mode).toBe('roll-by-size');
    expect(Number(one(log, 'sizeThreshold').text)).toBe(LOG_SIZE_KB);
    expect(Number(one(log, 'keepFiles').text)).toBe(LOG_KEEP_FILES);
    expect(LOG_SIZE_KB * LOG_KEEP_FILES).toBeLessThanOrEqual(100 * 1024);
  });

  test('passes the bridge as OBSMON_SERVER, an option the exporter reads, and runs as LocalService', () => {
    const env = all(service, 'env');
    expect(env.map((e) => e.attrib.name)).toEqual(['OBSMON_SERVER']);
    const help = spawnSync('node', ['bin/obsmon.js', 'exporter', '--help'], {
      cwd: REPO,
      encoding: 'utf8',
      timeout: 30_000,
    }).stdout;
    expect(help).toContain('env OBSMON_SERVER');
    const account = one(service, 'serviceaccount');
    expect([one(account, 'domain').text, one(account, 'user').text]).toEqual(['NT AUTHORITY', 'LocalService']);
  }, 30_000);
});

/** Brackets outside strings and comments, and "$name:" in a double-quoted string (a PowerShell parse error). */
function scanPowerShell(text: string): { unbalanced: string[]; scopedInStrings: string[] } {
  const unbalanced: string[] = [];
  const scopedInStrings: string[] = [];
  const stack: string[] = [];
  const pairs = new Map([
    [')', '('],
    ['}', '{'],
    [']', '['],
  ]);
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (text.startsWith('<#', i)) {
      const end = text.indexOf('#>', i + 2);
      i = end < 0 ? text.length : end + 2;
    } else if (c === '#') {
      const end = text.indexOf('\n', i);
      i = end < 0 ? text.length : end;
    } else if (c === "'") {
      let j = i + 1;
      while (j < text.length && !(text[j] === "'" && text[j + 1] !== "'")) j += text[j] === "'" ? 2 : 1;
      i = j + 1;
    } else if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === '`' ? 2 : 1;
      const body = text.slice(i + 1, j);
      for (const m of body.matchAll(/\$([A-Za-z_]\w*):(?![A-Za-z_])/g)) scopedInStrings.push(m[0]);
      i = j + 1;
    } else {
      if ('({['.includes(c)) stack.push(c);
      const open = pairs.get(c);
      if (open !== undefined && stack.pop() !== open) unbalanced.push(`${c} at ${i}`);
      i += 1;
    }
  }
  unbalanced.push(...stack.map((s) => `unclosed ${s}`));
  return { unbalanced, scopedInStrings };
}

function paramNames(script: string): string[] {
  const block = /\nparam\(([\s\S]*?)\n\)\n/.exec(script);
  expect(block, 'a param( ... ) block').not.toBeNull();
  // Each parameter is typed: [string]$Name, [switch]$Name.
  return [...block![1]!.matchAll(/\]\$(\w+)/g)].map((m) => m[1]!);
}

describe('the PowerShell install and uninstall scripts (deploy/windows)', () => {
  const install = readFileSync(join(REPO, 'deploy/windows/install-agent.ps1'), 'utf8');
  const uninstall = readFileSync(join(REPO, 'deploy/windows/uninstall-agent.ps1'), 'utf8');

  test.each([
    ['install-agent.ps1', install],
    ['uninstall-agent.ps1', uninstall],
  ])(
    '%s: ASCII (Windows PowerShell 5.1 reads a file without BOM as ANSI), balanced, admin only, stops on the first error',
    (_name, script) => {
      expect(script).toMatch(/^[\x09\x0a\x0d\x20-\x7e]*$/);
      expect(scanPowerShell(script)).toEqual({ unbalanced: [], scopedInStrings: [] });
      expect(script.startsWith('#Requires -RunAsAdministrator\n')).toBe(true);
      expect(script).toContain("$ErrorActionPreference = 'Stop'");
      expect(script).toContain(`$Id = '${WINDOWS_SERVICE_ID}'`);
    },
  );

  test('the structural check catches what PowerShell would reject', () => {
    expect(scanPowerShell('if ($a) { "x" ').unbalanced).toEqual(['unclosed {']);
    expect(scanPowerShell('throw "no file in $dir: copy it"').scopedInStrings).toEqual(['$dir:']);
    expect(scanPowerShell("\"${dir}: ok $env:ProgramFiles\" # ) } 'it''s' <# ( #>")).toEqual({
      unbalanced: [],
      scopedInStrings: [],
    });
  });

  test('install edits only what the generated definition has, installs WinSW as <id>.exe, and starts the service', () => {
    expect(paramNames(install)).toEqual(['Server', 'WinSW', 'Node', 'InstallDir', 'Account']);
    expect(install).toContain('[Parameter(Mandatory = $true)][string]$Server');
    // The elements it sets exist in the generated XML.
    const service = parseXml(winswXml(VERSION));
    expect(install).toContain('$config.service.executable = $Node');
    expect(one(service, 'executable').text).not.toBe('');
    expect(install).toContain(`SelectSingleNode("env[@name='OBSMON_SERVER']").SetAttribute('value', $Server)`);
    expect(all(service, 'env').some((e) => e.attrib.name === 'OBSMON_SERVER')).toBe(true);
    expect(install).toContain("SelectSingleNode('serviceaccount')");
    one(service, 'serviceaccount');
    // WinSW finds its configuration by its own base name: <id>.exe beside <id>.xml.
    expect(install).toContain('$exe = Join-Path $InstallDir "$Id.exe"');
    expect(install).toContain('$config.Save((Join-Path $InstallDir "$Id.xml"))');
    expect(install).toContain(`Join-Path $PSScriptRoot '${BUNDLE_NAME}'`);
    expect(install).toMatch(/exporter --once/);
    const order = ['& $exe uninstall', '& $exe install', '& $exe start'].map((step) => install.indexOf(step));
    expect(order.every((at) => at >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
  });

  test('uninstall stops and removes the service, and the logs only with -Purge', () => {
    expect(paramNames(uninstall)).toEqual(['InstallDir', 'Purge']);
    expect(uninstall.indexOf('Stop-Service')).toBeLessThan(uninstall.indexOf('& $exe uninstall'));
    expect(uninstall).toMatch(/if \(\$Purge -and .*Remove-Item -LiteralPath \$InstallDir -Recurse/);
  });

  test('every install-script flag in docs/deploy.md is one the script declares', () => {
    const docs = readFileSync(join(REPO, 'docs/deploy.md'), 'utf8');
    const lines = docs.split('\n').filter((l) => /(un)?install-agent\.ps1/.test(l));
    expect(lines.length).toBeGreaterThan(0);
    const declared = new Set([...paramNames(install), ...paramNames(uninstall), 'ExecutionPolicy', 'File']);
    for (const line of lines)
      for (const m of line.matchAll(/(?:^|[\s`(])-([A-Z]\w+)/g)) expect(declared).toContain(m[1]);
  });
});
