import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';

const REPO = new URL('../../../', import.meta.url).pathname;
const PLIST = join(REPO, 'deploy/macos/org.obsmon.exporter.plist');

describe('launchd daemon for macOS', () => {
  test('the plist parses (Python plistlib, as strict as launchd) and starts the exporter at boot, kept alive', () => {
    const script = 'import json, plistlib, sys; print(json.dumps(plistlib.load(open(sys.argv[1], "rb"))))';
    const result = spawnSync('python3', ['-c', script, PLIST], { encoding: 'utf8', timeout: 20_000 });
    expect(result.status, result.stderr).toBe(0);
    const plist = JSON.parse(result.stdout) as { Label: string; ProgramArguments: string[]; EnvironmentVariables: Record<string, string>; RunAtLoad: boolean; KeepAlive: boolean; UserName: string };
    expect(plist.Label).toBe('org.obsmon.exporter');
    expect(plist.ProgramArguments.slice(1)).toEqual(['/usr/local/obsmon/bin/obsmon.js', 'exporter']);
    expect([plist.RunAtLoad, plist.KeepAlive]).toEqual([true, true]);
    expect(plist.UserName).not.toBe('root');
    const help = spawnSync('node', ['bin/obsmon.js', 'exporter', '--help'], { cwd: REPO, encoding: 'utf8', timeout: 30_000 }).stdout;
    for (const name of Object.keys(plist.EnvironmentVariables)) expect(help).toContain(`env ${name}`);
  }, 30_000);
});
