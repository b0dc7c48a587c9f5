import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startBridgeProcess, type BridgeProcess } from '../../testkit/bridge-process.ts';
import { checkMetrics } from '../helpers/promtool.ts';
import { connectTo } from '../helpers/tcp-client.ts';
import { sampleValue } from '../helpers/test-bridge.ts';
import { waitFor } from '../helpers/wait-for.ts';

/**
 * Hostile input over real sockets into a real bridge process: every valid report interleaved with
 * the garbage must land, the exposition must stay valid for the real promtool, and memory bounded.
 */
const RUNS = 25;
const MAX_RSS_BYTES = 300 * 1024 * 1024;
let bridge: BridgeProcess;

beforeAll(async () => {
  bridge = await startBridgeProcess(['--max-line-bytes', '4096', '--max-lines-per-second', '1000000']);
});
afterAll(async () => {
  await bridge?.stop();
});

const nowSeconds = Math.floor(Date.now() / 1000);
const nasty = fc.constantFrom(
  '"',
  '\\',
  '{',
  '}',
  '\n',
  '\r',
  '\t',
  '\0',
  '=',
  '@',
  ' ',
  '#',
  ',',
  'ä',
  'і' /* Cyrillic i */,
  '\u202e',
  '\uFEFF',
  '\x7f',
  '$(',
  '<',
  '>',
);
const nastyString = fc
  .array(fc.oneof(nasty, fc.string({ maxLength: 4 })), { maxLength: 12 })
  .map((parts) => parts.join(''));
const number = fc.oneof(
  fc.constantFrom(
    'NaN',
    'Inf',
    '-Inf',
    '+Inf',
    '1e999',
    '-1e999',
    '0x1f',
    '1_000',
    '',
    '.',
    '-',
    '1.2.3',
    '9'.repeat(400),
  ),
  fc.double().map(String),
);
const hostileLine = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
  fc.tuple(nastyString, number, nastyString, number).map(([n, t, k, v]) => Buffer.from(`${n} ${t} ${k}=${v}`, 'utf8')),
  fc
    .tuple(nastyString, nastyString, number)
    .map(([n, q, v]) => Buffer.from(`${n} ${nowSeconds} disk@${q}=${v}`, 'latin1')),
  fc
    .tuple(fc.constantFrom('cpu', 'mem', 'disk', 'x'), number)
    .map(([k, v]) => Buffer.from(`fuzz-node ${nowSeconds} ${k}=${v}`)),
  fc.integer({ min: 4097, max: 1_100_000 }).map((n) => Buffer.alloc(n, 'A')),
);

test('hostile lines interleaved with valid reports: all valid ones land, exposition stays valid, RSS bounded', async () => {
  let valid = 0;
  const expected = new Map<string, number>();
  await fc.assert(
    fc.asyncProperty(fc.array(hostileLine, { minLength: 1, maxLength: 40 }), async (garbage) => {
      const socket = await connectTo(bridge.ingestPort);
      socket.resume(); // read (and ignore) ERR replies, or the bridge's FIN is never seen
      const chunks: Buffer[] = [];
      for (const g of garbage) {
        const node = `valid-${valid}`;
        const cpu = valid % 100;
        expected.set(node, cpu);
        valid += 1;
        // Each garbage line is terminated, so the valid line after it starts a fresh line.
        chunks.push(g, Buffer.from(`\n${node} ${nowSeconds} cpu=${cpu} mem=1\n`));
      }
      await new Promise<void>((resolve) => socket.end(Buffer.concat(chunks), () => resolve()));
      await new Promise((resolve) => socket.once('close', resolve));
    }),
    { numRuns: RUNS, seed: 20261123, endOnFailure: true },
  );

  const text = await waitFor(
    'every valid report',
    async () => {
      const t = await bridge.metricsText();
      return [...expected].every(
        ([node, cpu]) => sampleValue(t, 'obsmon_node_cpu_usage_percent', `node="${node}"`) === cpu,
      )
        ? t
        : undefined;
    },
    20_000,
    200,
  );
  const check = checkMetrics(text);
  expect(check.output).toBe('');
  expect(check.status).toBe(0);
  expect(sampleValue(text, 'process_resident_memory_bytes', '')).toBeLessThan(MAX_RSS_BYTES);
  const rejected = text
    .split('\n')
    .filter((l) => l.startsWith('obsmon_bridge_rejected_lines_total'))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
  expect(rejected).toBeGreaterThan(valid / 2);
  expect((await fetch(`${bridge.httpUrl}/api/v1/nodes`)).status).toBe(200);
  expect(bridge.child.exitCode).toBeNull();
}, 90_000);
