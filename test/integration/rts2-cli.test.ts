import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { afterEach, describe, expect, test } from 'vitest';
import { FakeCentrald } from '../helpers/rts2-peer/fake-centrald.ts';
import { startTestBridge, type TestBridge } from '../helpers/test-bridge.ts';
import { waitFor } from '../helpers/wait-for.ts';

const BIN = new URL('../../bin/obsmon.js', import.meta.url).pathname;
const children: ChildProcess[] = [];
let centrald: FakeCentrald | undefined;
let bridge: TestBridge | undefined;

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  await centrald?.stop();
  await bridge?.stop();
  centrald = undefined;
  bridge = undefined;
});

const obsmon = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 20_000 });

describe('obsmon rts2-sensord (the executable)', () => {
  test('--help lists the RTS2-style options', () => {
    const result = obsmon(['rts2-sensord', '--help']);
    expect(result.status).toBe(0);
    for (const flag of [
      '--device <name>',
      '--server <host[:port]>',
      '--local-port <n>',
      '--localhost <host>',
      '--bridge <url>',
      '--observatory-veto',
      '-d <name>',
    ]) {
      expect(result.stdout).toContain(flag);
    }
  });

  test('a bad device name stops start-up with one line naming option, value and expectation', () => {
    const result = obsmon(['rts2-sensord', '-d', 'BAD.NAME']);
    expect(result.status).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/--device "BAD.NAME" \(from flag --device\): expected an RTS2 device name/);
  });

  test('registers with centrald under -d, and SIGTERM stops it cleanly', async () => {
    centrald = await FakeCentrald.start();
    bridge = await startTestBridge();
    const args = [
      'rts2-sensord',
      '-d',
      'CLI1',
      '-i',
      '--server',
      `127.0.0.1:${centrald.port}`,
      '--bridge',
      bridge.httpUrl,
      '--localhost',
      '127.0.0.1',
      '--bind',
      '127.0.0.1',
    ];
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const fake = centrald;
    const device = await waitFor('registration as CLI1', () => fake.device('CLI1'), 15_000, 50);
    expect(device.received[0]).toMatch(/^register 0 CLI1 15 127\.0\.0\.1 \d+$/);
    await waitFor('the bridge to be read', () => device.received.includes('V bridge_ok 1'), 10_000);
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code).toBe(0);
    expect(stderr).toContain('Registered with rts2-centrald');
    expect(stderr).toContain('SIGTERM received');
  });
});
