import { afterEach, describe, expect, test } from 'vitest';
import { FakeCentrald } from '../helpers/rts2-peer/fake-centrald.ts';
import { startHarness, type Harness } from '../helpers/rts2-peer/harness.ts';
import { PeerConnection } from '../helpers/rts2-peer/peer-connection.ts';
import { waitFor } from '../helpers/wait-for.ts';

let harness: Harness | undefined;
const extra: Array<{ stop?: () => unknown; close?: () => unknown }> = [];

afterEach(async () => {
  for (const e of extra.splice(0)) await (e.stop ?? e.close)?.call(e);
  await harness?.stop();
  harness = undefined;
});

/** Registered and done with the registration sequence (its `S` line follows `+0 OK`). */
const registered = (h: Harness) =>
  waitFor('the device to register', () => {
    const d = h.centrald.device('OBSMON');
    return d?.received.some((l) => l.startsWith('S ')) ? d : undefined;
  });

describe('rts2-sensord and rts2-centrald', () => {
  test('registers as a SENSOR at its advertised host and port, then sends every value and its state', async () => {
    harness = await startHarness({ bridge: false });
    const device = await registered(harness);
    await waitFor('the state line', () => device.received.some((l) => l.startsWith('S ')));
    const lines = device.received;
    expect(lines[0]).toBe(`register 0 OBSMON 15 127.0.0.1 ${harness.sensord.port}`);
    // E+V of every value follow "A registered_as" (§4.1 step 4), infotime first; S follows "+0 OK".
    expect(lines[1]).toBe('E 3 "infotime" "time of last update" ');
    expect(lines[2]).toBe('V infotime nan');
    expect(lines[3]).toMatch(/^E 3 "uptime" "daemon uptime" $/);
    const eLines = lines.filter((l) => l.startsWith('E '));
    expect(eLines.length).toBe(harness.sensord.table.size);
    expect(eLines).toContain(
      'E 33882116 "disk_warn" "[%] warning level of disk usage (default; node and group levels of the thresholds file win)" ',
    );
    const state = lines.findIndex((l) => l.startsWith('S '));
    expect(state).toBeGreaterThan(lines.lastIndexOf(eLines.at(-1)!));
    // No bridge: NOT READY (0x40000), nothing else.
    expect(lines[state]).toBe('S 262144');
    expect(harness.centrald.protocolErrors).toEqual([]);
  });

  test('answers status_info with its state then +0 OK, and T ready with T OK', async () => {
    harness = await startHarness({ bridge: false });
    const device = await registered(harness);
    expect(await harness.centrald.statusInfo('OBSMON')).toEqual(['S 262144', '+0 OK']);
    const before = device.received.length;
    device.socket.write('T ready\n');
    await waitFor('T OK', () => device.received.slice(before).includes('T OK'));
    // A client's status_info fans out to every device; its return waits for the device's.
    const client = await PeerConnection.open(harness.centrald.port);
    extra.push(client);
    expect((await client.command('status_info')).code).toBe(0);
    expect(device.received.slice(before)).toEqual(['T OK', 'S 262144', '+0 OK']);
  });

  test('answers unknown commands from centrald with RTS2 error form and ignores informational lines', async () => {
    harness = await startHarness({ bridge: false });
    const device = await registered(harness);
    const before = device.received.length;
    device.socket.write('device 0 9 DOME 127.0.0.1 5000 6\nclient 12 root monitor\ndelete_client 12\nB 0 0\nopen\n');
    await waitFor('the answer to open', () => device.received.length > before);
    expect(device.received.slice(before)).toEqual(['-1 unknow command open']);
  });

  test('a taken name is retried until centrald frees it', async () => {
    const centrald = await FakeCentrald.start();
    extra.push(centrald);
    const squatter = await PeerConnection.open(centrald.port);
    extra.push(squatter);
    expect((await squatter.command('register 0 OBSMON 15 127.0.0.1 1')).code).toBe(0);
    harness = await startHarness({ bridge: false, sensord: { server: `127.0.0.1:${centrald.port}` } });
    await waitFor('a refused registration', () => centrald.refused.length > 0);
    squatter.close();
    const device = await waitFor('the device to register', () => {
      const d = centrald.device('OBSMON');
      return d !== undefined && d.port === harness!.sensord.port ? d : undefined;
    });
    expect(device.received[0]).toBe(`register 0 OBSMON 15 127.0.0.1 ${harness.sensord.port}`);
  });

  test('registers again, with all values, after centrald restarts', async () => {
    harness = await startHarness({ bridge: false });
    await registered(harness);
    const port = harness.centrald.port;
    await harness.centrald.stop();
    const again = await FakeCentrald.start(port);
    extra.push(again);
    const device = await waitFor('registration with the new centrald', () => again.device('OBSMON'));
    await waitFor('the state line', () => device.received.some((l) => l.startsWith('S ')));
    expect(device.received.filter((l) => l.startsWith('E ')).length).toBe(harness.sensord.table.size);
    expect(again.protocolErrors).toEqual([]);
  });
});
