import { afterEach, describe, expect, test } from 'vitest';
import { connectTo, sendAndClose } from '../helpers/tcp-client.ts';
import { sampleValue, startTestBridge, type TestBridge } from '../helpers/test-bridge.ts';
import { waitFor } from '../helpers/wait-for.ts';

// The promises of docs/protocol.md section 8 "ERR replies", against a real bridge on loopback.
const now = () => Math.floor(Date.now() / 1000);
let bridge: TestBridge | undefined;

afterEach(async () => {
  await bridge?.stop();
  bridge = undefined;
});

describe('ERR replies (docs/protocol.md section 8)', () => {
  test('at most 10 per connection per second; the skipped ones are counted', async () => {
    bridge = await startTestBridge();
    const reply = await sendAndClose(bridge.ingestPort, 'junk\n'.repeat(25));
    expect(reply).toBe('ERR malformed\n'.repeat(10));
    const text = await bridge.metricsText();
    expect(sampleValue(text, 'obsmon_bridge_rejected_lines_total', 'reason="malformed"')).toBe(25);
    expect(sampleValue(text, 'obsmon_bridge_err_replies_skipped_total', '')).toBe(15);
  });

  test('the budget is per connection: a second connection gets its own 10', async () => {
    bridge = await startTestBridge();
    const first = await connectTo(bridge.ingestPort);
    first.write('junk\n'.repeat(20));
    await waitFor('the first connection refused', async () =>
      sampleValue(await bridge!.metricsText(), 'obsmon_bridge_rejected_lines_total', 'reason="malformed"') === 20
        ? 1
        : undefined,
    );
    expect(await sendAndClose(bridge.ingestPort, 'junk\n'.repeat(12))).toBe('ERR malformed\n'.repeat(10));
    first.destroy();
  });

  test('after the second is over a connection is answered again', async () => {
    bridge = await startTestBridge();
    const socket = await connectTo(bridge.ingestPort);
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
    socket.write('junk\n'.repeat(11));
    await waitFor('ten replies', () => (received === 'ERR malformed\n'.repeat(10) ? 1 : undefined));
    // Waiting (not asserting a duration): the next window opens 1 s after the first reply.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    socket.write(`n1 ${now()} cpu=101\n`);
    await waitFor('the reply of the next window', () => (received.endsWith('ERR bad_value\n') ? 1 : undefined));
    socket.destroy();
  });

  test('--err-replies false: refused lines are counted, nothing is written back', async () => {
    bridge = await startTestBridge({ errReplies: false });
    const t = now();
    expect(await sendAndClose(bridge.ingestPort, `junk\nn1 ${t} cpu=101\nn1 ${t} cpu=5\n`)).toBe('');
    const text = await bridge.metricsText();
    expect(sampleValue(text, 'obsmon_bridge_rejected_lines_total', 'reason="malformed"')).toBe(1);
    expect(sampleValue(text, 'obsmon_bridge_rejected_lines_total', 'reason="bad_value"')).toBe(1);
    expect(bridge.table.get('n1')?.series.get('cpu')?.value).toBe(5);
  });

  test('a report with dropped values is accepted and answered too_many_series', async () => {
    bridge = await startTestBridge({ maxSeriesPerNode: 2 });
    const t = now();
    const reply = await sendAndClose(bridge.ingestPort, `n1 ${t} cpu=1 disk@/a=2 disk@/b=3\n`);
    expect(reply).toBe('ERR too_many_series\n');
    expect(bridge.table.get('n1')?.series.get('cpu')?.value).toBe(1);
    const text = await bridge.metricsText();
    expect(sampleValue(text, 'obsmon_bridge_dropped_samples_total', 'reason="too_many_series"')).toBe(1);
  });

  test('a new custom key beyond --max-custom-keys-per-node is also answered too_many_series', async () => {
    bridge = await startTestBridge({ maxCustomKeysPerNode: 1 });
    const t = now();
    const reply = await sendAndClose(bridge.ingestPort, `n1 ${t} cpu=1 dome_humidity=45 ccd_setpoint=-100\n`);
    expect(reply).toBe('ERR too_many_series\n');
    const text = await bridge.metricsText();
    expect(sampleValue(text, 'obsmon_bridge_dropped_samples_total', 'reason="too_many_custom_keys"')).toBe(1);
  });

  test('with --auth off a well-formed first-line AUTH is ignored, not answered (docs/protocol.md section 9)', async () => {
    bridge = await startTestBridge();
    const t = now();
    expect(await sendAndClose(bridge.ingestPort, `AUTH some-token\nn1 ${t} cpu=3\n`)).toBe('');
    expect(bridge.table.get('n1')?.series.get('cpu')?.value).toBe(3);
    expect(await sendAndClose(bridge.ingestPort, `n2 ${t} cpu=3\nAUTH some-token\n`)).toBe('ERR malformed\n');
  });

  test('an agent that ignores replies and only writes loses no report', async () => {
    bridge = await startTestBridge();
    const t = now();
    const lines = Array.from({ length: 40 }, (_, i) => `junk\nn${i} ${t} cpu=${i}\n`).join('');
    const socket = await connectTo(bridge.ingestPort);
    socket.pause(); // never reads
    socket.end(lines);
    await waitFor('40 nodes', () => (bridge!.table.size === 40 ? 1 : undefined));
    socket.destroy();
  });
});
