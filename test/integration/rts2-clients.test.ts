import { afterEach, describe, expect, test } from 'vitest';
import { startHarness, type Harness } from '../helpers/rts2-peer/harness.ts';
import { DeviceView, Monitor } from '../helpers/rts2-peer/monitor.ts';
import { PeerConnection } from '../helpers/rts2-peer/peer-connection.ts';
import { waitFor } from '../helpers/wait-for.ts';

let harness: Harness | undefined;
const closers: Array<{ close(): void }> = [];

afterEach(async () => {
  for (const c of closers.splice(0)) c.close();
  await harness?.stop();
  harness = undefined;
});

async function setUp(sensord = {}): Promise<{ h: Harness; monitor: Monitor }> {
  const h = await startHarness({ bridge: false, sensord });
  harness = h;
  await waitFor('registration', () => h.centrald.device('OBSMON')?.received.some((l) => l.startsWith('S ')));
  const monitor = await Monitor.login(h.centrald.port);
  closers.push(monitor);
  await waitFor('centrald to announce the device', () => monitor.devices.has('OBSMON'));
  return { h, monitor };
}

async function authorized(monitor: Monitor): Promise<DeviceView> {
  const { view, auth } = await monitor.open('OBSMON');
  closers.push(view.conn);
  expect(auth).toMatchObject({ code: 0, text: 'OK authorized' });
  return view;
}

describe('clients of rts2-sensord (rts2-mon)', () => {
  test('a monitor with the key from centrald is authorized and gets every value and the state', async () => {
    const { h, monitor } = await setUp();
    const { view, auth } = await monitor.open('OBSMON');
    closers.push(view.conn);
    expect(auth?.code).toBe(0);
    expect(auth?.text).toBe('OK authorized');
    // Metainfo came on accept, before auth (§6); the auth answer carries every V, then B (§7 step 6).
    expect(view.values.size).toBe(h.sensord.table.size);
    expect(auth!.lines.filter((l) => l.startsWith('V ')).length).toBe(h.sensord.table.size);
    expect(auth!.lines.at(-1)).toBe('B 262144 0');
    expect(view.state).toBe(262144);
    expect(view.problems).toEqual([]);
    expect(h.centrald.device('OBSMON')!.received).toContain(`authorize ${monitor.id} ${monitor.key}`);
  });

  test('a wrong key is refused with -5 authorization failed and the connection is closed', async () => {
    const { h, monitor } = await setUp();
    await monitor.requestKey('OBSMON');
    const { view, auth } = await monitor.open('OBSMON', { key: monitor.key + 1 });
    closers.push(view.conn);
    expect(auth).toMatchObject({ code: -5, text: 'authorization failed' });
    await view.conn.waitClosed();
    expect(h.centrald.device('OBSMON')!.received).toContain(`authorize ${monitor.id} ${monitor.key + 1}`);
  });

  test('before auth only auth and T ready are served', async () => {
    const { monitor } = await setUp();
    const { view } = await monitor.open('OBSMON', { auth: false });
    closers.push(view.conn);
    expect(await view.command('info')).toMatchObject({ code: -1, text: 'unknow command info' });
    expect(await view.command('X disk_warn = "70"')).toMatchObject({ code: -1, text: 'unknow command X' });
    expect(await view.command('auth 1 2')).toMatchObject({
      code: -2,
      text: 'invalid parameters/invalid number of parameters - auth',
    });
    const before = view.conn.received.length;
    view.conn.write('T ready\n');
    await view.conn.waitForLine(/^T OK$/, before);
    expect(view.number('disk_warn')).toBe(80);
  });

  test('commands sent while auth is pending wait for it and run in order', async () => {
    const { monitor } = await setUp();
    const key = await monitor.requestKey('OBSMON');
    const { view } = await monitor.open('OBSMON', { auth: false });
    closers.push(view.conn);
    const from = view.conn.received.length;
    view.conn.write(`auth ${monitor.id} 0 ${key}\nstatus_info\n`);
    await view.conn.waitForLine(/^\+0 OK$/, from);
    const returns = view.conn.received.slice(from).filter((l) => /^[+-]\d/.test(l) || l.startsWith('S '));
    expect(returns).toEqual(['+0 OK authorized', 'S 262144', '+0 OK']);
  });

  test('answers info, base_info, status_info, device_status, killall and unknown commands as RTS2 does', async () => {
    const { h, monitor } = await setUp();
    const view = await authorized(monitor);
    const info = await view.command('info');
    expect(info.code).toBe(0);
    expect(info.lines.length).toBe(h.sensord.table.size);
    expect(await view.command('base_info')).toEqual({ code: 0, text: 'OK', lines: [] });
    expect(await view.command('status_info')).toEqual({ code: 0, text: 'OK', lines: ['S 262144'] });
    expect(await view.command('device_status')).toEqual({
      code: 0,
      text: 'device status updated',
      lines: ['B 262144 0'],
    });
    const killall = await view.command('killall');
    expect(killall.code).toBe(0);
    expect(killall.lines).toHaveLength(1);
    expect(killall.lines[0]).toMatch(/^S 262144 "obsmon bridge http:\/\/127\.0\.0\.1:9: /);
    expect(await view.command('script_ends')).toMatchObject({ code: 0 });
    expect(await view.command('foo bar')).toEqual({ code: -1, text: 'unknow command foo', lines: [] });
    expect((await view.command('exit')).code).toBe(-5);
    expect(view.conn.closed).toBe(false);
  });

  test('X edits a writable threshold, every connection sees the new value, errors use RTS2 forms', async () => {
    const { h, monitor } = await setUp();
    const view = await authorized(monitor);
    const other = await authorized(monitor);
    expect(view.flags('disk_warn')).toBe(33882116);
    expect(await view.command('X disk_warn = "70"')).toEqual({
      code: 0,
      text: 'OK',
      lines: ['V disk_warn 7.00000000000000000000e+01'],
    });
    await waitFor('the other monitor to see 70', () => other.number('disk_warn') === 70);
    await waitFor('centrald to see 70', () =>
      h.centrald.device('OBSMON')!.received.includes('V disk_warn 7.00000000000000000000e+01'),
    );
    expect(await view.command('X disk_warn += 5')).toMatchObject({
      code: 0,
      lines: ['V disk_warn 7.50000000000000000000e+01'],
    });
    expect(await view.command('X disk_warn -= "5.5"')).toMatchObject({
      code: 0,
      lines: ['V disk_warn 6.95000000000000000000e+01'],
    });
    expect(await view.command('X disk_warn = 69.5')).toEqual({ code: 0, text: 'OK', lines: [] });
    expect(await view.command('X infotime = 1')).toEqual({ code: -5, text: 'cannot set read-only value', lines: [] });
    expect(await view.command('X nonexist = 1')).toEqual({
      code: -2,
      text: 'invalid parameters/invalid number of parameters - X',
      lines: [],
    });
    expect(await view.command('X disk_warn = abc')).toMatchObject({ code: -2 });
    expect(await view.command('X disk_warn = 1 2')).toMatchObject({ code: -2 });
    expect(await view.command('X disk_warn')).toMatchObject({ code: -2 });
    expect(await view.command('X disk_warn * 2')).toMatchObject({ code: -2 });
    // Warning above error (90) or outside 0..100 is a bad value.
    expect(await view.command('X disk_warn = 95')).toEqual({
      code: -3,
      text: 'invalid parameter values for command X',
      lines: [],
    });
    expect(await view.command('X disk_err = 101')).toMatchObject({ code: -3 });
    expect(await view.command('X disk_err = nan')).toMatchObject({ code: -3 });
    expect(view.number('disk_warn')).toBe(69.5);
  });

  test('auth while centrald is away is answered with -5 cannot authorize', async () => {
    const { h } = await setUp();
    await h.centrald.stop();
    const conn = await PeerConnection.open(h.sensord.port);
    closers.push(conn);
    expect(await conn.command('auth 5 0 12345')).toEqual({
      code: -5,
      text: 'cannot authorize; try again later',
      lines: expect.any(Array),
    });
    expect(await conn.command('auth 5 1 12345')).toMatchObject({ code: -5 });
  });

  test('with --noauth a client is served without auth', async () => {
    const { h } = await setUp({ noauth: true });
    const conn = await PeerConnection.open(h.sensord.port);
    closers.push(conn);
    const info = await conn.command('info');
    expect(info.code).toBe(0);
    expect(info.lines.filter((l) => l.startsWith('V ')).length).toBeGreaterThanOrEqual(h.sensord.table.size);
  });

  test('hostile bytes from a client do not disturb the device or other clients', async () => {
    const { h, monitor } = await setUp();
    const view = await authorized(monitor);
    const hostile = await PeerConnection.open(h.sensord.port);
    closers.push(hostile);
    hostile.write(
      `${'A'.repeat(200_000)}\n\x00\x01\xff\r\n"unclosed quote\nauth "1 0 2\nX\n+0\n-5 x\n${'\n'.repeat(1000)}E 1 "x" "y"\nV x 1\n`,
    );
    const from = hostile.received.length;
    hostile.write('T ready\n');
    await hostile.waitForLine(/^T OK$/, from);
    expect(await view.command('status_info')).toMatchObject({ code: 0 });
    expect(h.sensord.table.has('x')).toBe(false);
    hostile.close();
    const many = await Promise.all(Array.from({ length: 50 }, () => PeerConnection.open(h.sensord.port)));
    closers.push(...many);
    expect(await view.command('base_info')).toMatchObject({ code: 0 });
  });
});
