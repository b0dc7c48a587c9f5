import { afterEach, expect, test } from 'vitest';
import { BridgeFeed } from '../../../rts2-sensord/bridge/bridge-feed.ts';
import { silentLogger } from '../../../lib/logger.ts';
import { sendAndClose } from '../../helpers/tcp-client.ts';
import { startTestBridge, type TestBridge } from '../../helpers/test-bridge.ts';
import { waitFor } from '../../helpers/wait-for.ts';

let bridge: TestBridge | undefined;
let feed: BridgeFeed | undefined;
afterEach(async () => {
  feed?.stop();
  feed = undefined;
  await bridge?.stop();
  bridge = undefined;
});

// A slow answer must not make a node look seen later than it was: the device would show a node it
// already holds as down up again (seen in CI: "all 3 nodes within limits" after "2 of 3 nodes down").
test("a node's time seen is counted from the poll's request, not from its (late) answer", async () => {
  bridge = await startTestBridge();
  await sendAndClose(bridge.ingestPort, `n1 ${Math.floor(Date.now() / 1000)} cpu=1\n`);
  // The device's clock moves a second at each reading, so the request and its answer are a second apart at least.
  let clock = 1_000_000;
  let polled = false;
  feed = new BridgeFeed(
    {
      url: bridge.httpUrl,
      intervalMs: 60_000,
      timeoutMs: 5000,
      maxNodes: 100,
      wanted: () => true,
      now: () => (clock += 1000),
    },
    () => (polled = true),
    silentLogger,
  );
  feed.start();
  await waitFor('the first poll', () => polled);
  const known = feed.state.nodes.get('n1')!;
  expect(known.view.up).toBe(true);
  // Counted from before the request: earlier than the answer, which is when the poll succeeded.
  expect(known.fetchedAt).toBeLessThan(feed.state.lastSuccessAt!);
});
