import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, test } from 'vitest';
import { startHarness, tempFile, type Harness } from '../helpers/rts2-peer/harness.ts';
import { Monitor } from '../helpers/rts2-peer/monitor.ts';
import { waitFor } from '../helpers/wait-for.ts';

let harness: Harness | undefined;
let monitor: Monitor | undefined;
afterEach(async () => {
  monitor?.close();
  monitor = undefined;
  await harness?.stop();
  harness = undefined;
});

const NODES = 'nodes:\n  - { name: cam1, group: cameras, critical: true }\n  - { name: web1 }\n';

describe('rts2-sensord and a node in a maintenance window (real bridge, fake centrald, RTS2 monitor)', () => {
  test('a critical node in error during its window: no HW ERROR, "in maintenance" in the state text; HW ERROR once the window is gone', async () => {
    // The window is an hour wide around the bridge's own clock: nothing here depends on timing.
    const until = Math.round(Date.now() / 1000) + 3600;
    const inventory = tempFile(
      'maint-inventory.yaml',
      `${NODES}maintenance:\n  - { node: cam1, until: ${until}, reason: CCD swap }\n`,
    );
    const h = await startHarness({ bridge: { inventory }, sensord: {} });
    harness = h;
    await waitFor('registration', () => h.centrald.device('OBSMON')?.received.some((l) => l.startsWith('S ')));
    const m = await Monitor.login(h.centrald.port);
    monitor = m;
    await waitFor('the device announced', () => m.devices.has('OBSMON'));
    const { view } = await m.open('OBSMON');

    await h.report('cam1 now cpu=10 mem=20 disk=99', 'web1 now cpu=5 mem=5 disk=10');
    const sent = () => h.centrald.device('OBSMON')!.received;
    await waitFor(
      'the state text counts cam1 in maintenance',
      () => sent().includes('S 0 "1 node within limits, 1 node in maintenance"'),
      20_000,
      50,
    );
    expect(view.state).toBe(0);
    expect(sent().some((l) => l.startsWith('S 131072'))).toBe(false);
    expect(sent().some((l) => l.startsWith('M ') && l.includes('cam1'))).toBe(false);

    // The window removed from the inventory (SIGHUP's reload): cam1's disk is an error again.
    writeFileSync(inventory, NODES);
    expect(h.bridge!.reload().ok).toBe(true);
    await waitFor('HW ERROR for cam1', () => view.state === 131072, 20_000, 50);
    expect(h.centrald.protocolErrors).toEqual([]);
  }, 60_000);
});
