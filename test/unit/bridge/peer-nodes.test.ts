import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { PeerNodes } from '../../../bridge/peers/peer-nodes.ts';
import { silentLogger, type Logger } from '../../../lib/logger.ts';

let server: Server;
let url: string;
let body = '';
beforeAll(async () => {
  server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

test('a peer whose answer is not a list of node views shows nothing of it, and says why once', async () => {
  // Plausible at the top, hostile inside: a node whose "metrics" is a string would reach the page and the exposition.
  body = JSON.stringify({ nodes: [{ node: 'x', group: 'g', metrics: 'oops' }] });
  const warnings: string[] = [];
  const log: Logger = { ...silentLogger, warn: (m) => warnings.push(m) };
  const peers = new PeerNodes([url], 60_000, log);
  await peers.ready();
  expect(peers.views()).toEqual([[]]);
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toContain('unexpected answer at nodes.0');
});
