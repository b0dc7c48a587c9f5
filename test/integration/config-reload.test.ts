import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, test } from 'vitest';
import { startBridgeProcess, type BridgeProcess } from '../../testkit/bridge-process.ts';
import { freePort } from '../../testkit/free-port.ts';
import { startHarness, tempFile, type Harness } from '../helpers/rts2-peer/harness.ts';
import { Monitor } from '../helpers/rts2-peer/monitor.ts';
import { waitFor } from '../helpers/wait-for.ts';

const BIN = new URL('../../bin/obsmon.js', import.meta.url).pathname;
const BUILTIN = readFileSync(new URL('../../config/thresholds.yaml', import.meta.url), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'obsmon-reload-'));
const bridges: BridgeProcess[] = [];
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const b of bridges.splice(0)) await b.stop('SIGKILL');
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const level = (text: string, node: string, metric: string, severity: string) =>
  new RegExp(`^obsmon_threshold\\{node="${node}",metric="${metric}",severity="${severity}"\\} (\\S+)$`, 'm').exec(
    text,
  )?.[1];

/** Spawn `obsmon <args>`, collecting stderr; `exited` resolves with the exit code, or the signal's name. */
function obsmon(args: readonly string[]) {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | string | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal)),
  );
  return { child, stderr: () => stderr, exited };
}

describe("SIGHUP reloads the bridge's thresholds and inventory (a real child process)", () => {
  test('a new file applies on /metrics and is logged; an invalid one is logged with file and line and the old content kept; the bridge keeps running', async () => {
    const thresholds = join(dir, 'thresholds.yaml');
    const inventory = join(dir, 'inventory.yaml');
    writeFileSync(thresholds, BUILTIN);
    writeFileSync(inventory, 'nodes:\n  - { name: ccd01, group: cameras }\n  - old01\n');
    const bridge = await startBridgeProcess(['--thresholds', thresholds, '--inventory', inventory]);
    bridges.push(bridge);
    const before = await bridge.metricsText();
    expect(level(before, 'ccd01', 'cpu', 'warning')).toBe('85');
    expect(level(before, 'ccd01', 'disk', 'warning')).toBe('90');

    writeFileSync(thresholds, BUILTIN.replace('cpu: { warning: 85, error: 95 }', 'cpu: { warning: 70, error: 90 }'));
    writeFileSync(inventory, 'nodes:\n  - { name: ccd01, group: cameras, critical: true }\n  - new01\n  - new02\n');
    bridge.child.kill('SIGHUP');
    const after = await waitFor(
      'the new levels on /metrics',
      async () => {
        const text = await bridge.metricsText();
        return level(text, 'ccd01', 'cpu', 'warning') === '70' ? text : undefined;
      },
      20_000,
      100,
    );
    expect(level(after, 'ccd01', 'cpu', 'error')).toBe('90');
    expect(level(after, 'new02', 'cpu', 'warning')).toBe('70');
    expect(after).toContain('obsmon_node_info{node="ccd01",group="cameras",critical="true",inventory="true"} 1');
    expect(after).not.toContain('node="old01"');
    expect(after).toMatch(/^obsmon_bridge_config_reloads_total\{file="thresholds",result="success"\} 1$/m);
    expect(after).toMatch(/^obsmon_bridge_config_last_reload_successful 1$/m);
    await waitFor('the reload log line', () => bridge.log.includes('Reloaded '), 10_000, 50);
    expect(bridge.log).toContain('Reloaded thresholds: 1 level changed; inventory: +2 nodes, -1, 1 changed');

    writeFileSync(
      thresholds,
      BUILTIN.replace(
        'mem: { warning: 85, error: 95 }',
        'mem: { warning: 85, error: 95 }\n  cpuu: { warning: 1, error: 2 }',
      ),
    );
    writeFileSync(inventory, 'nodes:\n  - ccd01\n  - { name: new01, critical: yes }\n');
    bridge.child.kill('SIGHUP');
    const cpuuLine = BUILTIN.split('\n').findIndex((l) => l.includes('mem: {')) + 2;
    await waitFor(
      'the reload errors in the log',
      () =>
        bridge.log.includes('Reload incomplete: thresholds: invalid, previous kept; inventory: invalid, previous kept'),
      10_000,
      50,
    );
    expect(bridge.log).toContain(`Reload: ${thresholds}:${cpuuLine}: defaults.cpuu: unknown metric "cpuu"`);
    expect(bridge.log).toContain(`Reload: ${inventory}:3: nodes[1].critical: expected true or false, got "yes"`);
    const kept = await bridge.metricsText();
    expect(level(kept, 'ccd01', 'cpu', 'warning')).toBe('70');
    expect(kept).toContain('obsmon_node_info{node="ccd01",group="cameras",critical="true",inventory="true"} 1');
    expect(kept).toMatch(/^obsmon_bridge_config_reloads_total\{file="thresholds",result="failure"\} 1$/m);
    expect(kept).toMatch(/^obsmon_bridge_config_last_reload_successful 0$/m);

    expect(bridge.child.exitCode).toBeNull();
    expect(await bridge.stop('SIGTERM')).toBe(0);
  }, 60_000);
});

describe('rts2-sensord reload applies the new levels to values and flags', () => {
  let harness: Harness | undefined;
  let monitor: Monitor | undefined;
  afterEach(async () => {
    monitor?.close();
    await harness?.stop();
  });

  test('a lower disk warning re-flags a node at once and shows in disk_warn', async () => {
    // Per-node figures are strings (docs/rts2.md, "Units"): string good / with WARNING.
    const PERCENT = 1;
    const PERCENT_WARNING = 268435457;
    const thresholds = tempFile('thresholds.yaml', BUILTIN);
    const h = (harness = await startHarness({ sensord: { thresholds } }));
    await waitFor('registration', () => h.centrald.device('OBSMON')?.received.some((l) => l.startsWith('S ')));
    const m = (monitor = await Monitor.login(h.centrald.port));
    await waitFor('the device announced', () => m.devices.has('OBSMON'));
    const { view } = await m.open('OBSMON');
    await h.report('web1 now disk=75');
    await waitFor('web1 disk', () => view.text('web1_disk') === '75.0%');
    expect(view.flags('web1_disk')).toBe(PERCENT);
    expect(view.number('disk_warn')).toBe(80);

    writeFileSync(thresholds, BUILTIN.replace('disk: { warning: 80, error: 90 }', 'disk: { warning: 70, error: 90 }'));
    expect(h.sensord.reloadThresholds()).toBe(true);
    await waitFor(
      'the WARNING flag and the new disk_warn',
      () => view.flags('web1_disk') === PERCENT_WARNING && view.number('disk_warn') === 70,
    );

    writeFileSync(thresholds, 'defaults:\n  disk: { warning: 10 }\n');
    expect(h.sensord.reloadThresholds()).toBe(false);
    expect(view.number('disk_warn')).toBe(70);
  }, 60_000);
});

describe('SIGHUP does not end the other daemons', () => {
  test('rts2-sensord reloads its thresholds file, keeps the old levels for an invalid one, and keeps running', async () => {
    const thresholds = join(dir, 'sensord-thresholds.yaml');
    writeFileSync(thresholds, BUILTIN);
    const [centrald, bridgePort] = [await freePort(), await freePort()];
    const device = obsmon([
      'rts2-sensord',
      '--server',
      `127.0.0.1:${centrald}`,
      '--bridge',
      `http://127.0.0.1:${bridgePort}`,
      '--bind',
      '127.0.0.1',
      '--localhost',
      '127.0.0.1',
      '--thresholds',
      thresholds,
    ]);
    await waitFor('the device to listen', () => device.stderr().includes('listening on port'), 20_000, 50);
    writeFileSync(thresholds, BUILTIN.replace('disk: { warning: 80, error: 90 }', 'disk: { warning: 75, error: 90 }'));
    device.child.kill('SIGHUP');
    await waitFor(
      'the reload log line',
      () => device.stderr().includes('Reloaded thresholds: 1 level changed'),
      10_000,
      50,
    );
    writeFileSync(thresholds, 'defaults:\n  disk: { warning: 95, error: 90 }\n');
    device.child.kill('SIGHUP');
    await waitFor(
      'the reload error',
      () => device.stderr().includes(`Reload: ${thresholds}:2: defaults.disk: warning must not be above error`),
      10_000,
      50,
    );
    expect(device.stderr()).toContain('Reload incomplete: thresholds: invalid, previous kept');
    expect(device.child.exitCode).toBeNull();
    device.child.kill('SIGTERM');
    expect(await device.exited).toBe(0);
  }, 60_000);

  test('the exporter logs SIGHUP and carries on', async () => {
    const agent = obsmon([
      'exporter',
      '--server',
      `127.0.0.1:${await freePort()}`,
      '--interval',
      '1',
      '--node',
      'hup-test',
    ]);
    // Listening for SIGHUP starts before the agent does; wait until it is up to be sure of that.
    await waitFor('the agent to try its bridge', () => agent.stderr().length > 0, 20_000, 50);
    agent.child.kill('SIGHUP');
    await waitFor(
      'the SIGHUP log line',
      () => agent.stderr().includes('SIGHUP received: the exporter has nothing to reload'),
      10_000,
      50,
    );
    expect(agent.child.exitCode).toBeNull();
    agent.child.kill('SIGTERM');
    expect(await agent.exited).toBe(0);
  }, 60_000);
});
