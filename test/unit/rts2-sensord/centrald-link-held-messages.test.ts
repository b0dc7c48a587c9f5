import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { createLogger } from '../../../lib/logger.ts';
import { CentraldLink, MAX_HELD_MESSAGES } from '../../../rts2-sensord/centrald-link.ts';
import { waitFor } from '../../helpers/wait-for.ts';

// docs/rts2.md: "Messages from while centrald is away (up to 50) are sent after registration."
// A minimal centrald on loopback: answers `register` and records what the device sends.
let server: Server | undefined;
let link: CentraldLink | undefined;
afterEach(async () => {
  link?.stop();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = link = undefined;
});

async function centrald(): Promise<{ port: number; received: string[] }> {
  const received: string[] = [];
  server = createServer((socket: Socket) => {
    socket.on('error', () => {});
    let buffered = '';
    socket.on('data', (d: Buffer) => {
      buffered += d.toString('latin1');
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        received.push(line);
        if (line.startsWith('register ')) socket.write('S 0\nA registered_as 7\n+0 OK\n');
      }
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as AddressInfo).port, received };
}

describe('CentraldLink held messages', () => {
  test(`keeps the newest ${MAX_HELD_MESSAGES} messages while away and sends them, in order, after registration`, async () => {
    expect(MAX_HELD_MESSAGES).toBe(50); // the number docs/rts2.md gives
    const { port, received } = await centrald();
    const warnings: string[] = [];
    link = new CentraldLink(
      {
        host: '127.0.0.1',
        port,
        deviceName: 'OBSMON',
        advertisedHost: '127.0.0.1',
        advertisedPort: 1,
        retry: { initialMs: 10, maxMs: 10 },
      },
      { metaLines: () => [], stateLine: () => 'S 0', authorizationResult: () => {} },
      createLogger('rts2', 'warn', (line) => warnings.push(line)),
    );
    for (let i = 0; i < 70; i += 1) link.message(`M ${i}`);
    link.start();
    await waitFor('the held messages', () => (received.includes('M 69') ? 1 : undefined));
    const messages = received.filter((l) => l.startsWith('M '));
    expect(messages).toEqual(Array.from({ length: 50 }, (_, i) => `M ${i + 20}`));
    expect(received.indexOf('S 0')).toBeLessThan(received.indexOf('M 20'));
    // The 20 older ones are counted and logged once, when the time away ends.
    expect(link.droppedHeldMessages).toBe(20);
    expect(warnings.filter((w) => w.includes('Dropped'))).toEqual([
      expect.stringContaining('Dropped 20 messages from while rts2-centrald was away; sent the newest 50'),
    ]);
    // Once registered, messages go out at once and nothing is held for the next registration.
    link.message('M live');
    await waitFor('a live message', () => (received.includes('M live') ? 1 : undefined));
  });
});
