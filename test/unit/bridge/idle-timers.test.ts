import { createHook } from 'node:async_hooks';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { connectTo, sendAndClose } from '../../helpers/tcp-client.ts';
import { startTestBridge, type TestBridge } from '../../helpers/test-bridge.ts';
import { waitFor } from '../../helpers/wait-for.ts';

// Every timer this process creates from here on (Node's own, for sockets and HTTP, included).
interface NodeTimer {
  readonly _idleTimeout: number;
  readonly _destroyed: boolean;
}
const created: NodeTimer[] = [];
const hook = createHook({
  init(_id, type, _trigger, resource) {
    // Not the test runner's own (its per-test timeout).
    if (type === 'Timeout' && !/[\\/]@vitest[\\/]/.test(new Error().stack ?? '')) created.push(resource as NodeTimer);
  },
});
/** Periods (ms) of the timers still armed: an idle process's CPU is their wake-ups (bench/runtime-cost.ts). */
const armed = () =>
  created
    .filter((t) => !t._destroyed && t._idleTimeout > 0)
    .map((t) => t._idleTimeout)
    .sort((a, b) => a - b);

let bridge: TestBridge;
beforeAll(async () => {
  hook.enable();
  bridge = await startTestBridge();
});
afterAll(async () => {
  await bridge.stop();
  hook.disable();
});

test('an idle bridge (no node, no connection) keeps one timer, its tick every 10 s; a node brings it to 1 s', async () => {
  // Not the lag sampler, the event tick, the forget sweep, the stream heartbeat or Node's HTTP deadline check.
  expect(armed()).toEqual([10_000]);

  await sendAndClose(bridge.ingestPort, `n1 ${Math.floor(Date.now() / 1000)} cpu=1\n`);
  await waitFor('the node', () => bridge.table.size === 1);
  // The node can go down, so it is watched every second (bridge-stream.test.ts: its going down is announced).
  await waitFor('the ingest connection to close', () => armed().every((ms) => ms === 1000));
  expect(armed()).toEqual([1000]);
});

test('an agent connection, even silent, is watched for slow lines and --idle-timeout from the same tick: no timer of its own', async () => {
  bridge.table.forget(Date.now() + 365 * 86_400_000, 0);
  const socket = await connectTo(bridge.ingestPort);
  try {
    await waitFor('the connection', () => armed().includes(1000));
    // Not a second 1 s timer, nor a socket timeout (Node re-arms that on every read).
    expect(armed()).toEqual([1000]);
  } finally {
    socket.destroy();
  }
});
