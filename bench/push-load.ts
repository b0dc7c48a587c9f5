/**
 * The simulated agents, as a process of their own (`node --import tsx bench/push-load.ts <mode> ...`),
 * so their CPU is not the server's. Modes:
 *   flood <port> <connections> <nodes> <invalidPercent>   - per stdin line `go <lines>`: open the connections, write
 *                                                            that many standard reports over them as fast as the
 *                                                            server takes them, half-close, and print
 *                                                            `{"done":true,"lines":n,"ms":t}` once the server has
 *                                                            closed every connection, i.e. has read every line
 *   paced <port> <connections> <nodes> <intervalMs>       - each node one report per interval, evenly spread
 *   pushgateway <baseUrl> <nodes> <intervalMs> <sockets> <preloadMs>
 *                                                          - every node pushed once as fast as the gateway takes it
 *                                                            (for at most preloadMs), then one HTTP PUT per node
 *                                                            per interval, as Pushgateway users do
 * Prints `{"ready":true}` once connected, then every 250 ms one JSON line of cumulative counts.
 */
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { pushgatewayBody, standardLine } from './report-lines.ts';

const [mode, target = '', a = '0', b = '0', c = '0', d = '0'] = process.argv.slice(2);
const counts = { sent: 0, ok: 0, failed: 0, skipped: 0, pushMs: 0, groups: 0 };
const print = (extra: object = {}) => process.stdout.write(`${JSON.stringify({ ...counts, ...extra })}\n`);
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();

async function openConnections(port: number, n: number): Promise<Socket[]> {
  const sockets: Socket[] = [];
  // A few hundred connects at a time: a burst of thousands would overflow the listen backlog.
  for (let i = 0; i < n; i += 256) {
    const batch = Array.from(
      { length: Math.min(256, n - i) },
      () =>
        new Promise<Socket>((resolve, reject) => {
          const s = connect({ host: '127.0.0.1', port, noDelay: true }, () => resolve(s));
          s.once('error', reject);
        }),
    );
    sockets.push(...(await Promise.all(batch)));
  }
  for (const s of sockets) {
    s.on('error', () => (counts.failed += 1));
    // Agents need not read, but a real one drains ERR replies; discard them.
    s.resume();
  }
  return sockets;
}

/** One flood round: `total` lines over `connections` fresh connections; resolves with the time until all closed. */
async function floodRound(
  port: number,
  connections: number,
  nodes: number,
  invalidPercent: number,
  total: number,
): Promise<number> {
  const sockets = await openConnections(port, connections);
  const timestamp = Math.floor(Date.now() / 1000);
  const started = performance.now();
  const closed = sockets.map((socket, c) => {
    // About 64 KB of reports per write, cycling over this connection's share of the nodes.
    let text = '';
    let lines = 0;
    for (let k = 0; text.length < 65_536; k += 1) {
      const node = (c + k * connections) % nodes;
      const invalid = invalidPercent > 0 && k % Math.round(100 / invalidPercent) === 0;
      text += invalid ? badLine(k, timestamp) : standardLine(node, timestamp, k);
      lines += 1;
    }
    const chunk = Buffer.from(text, 'latin1');
    let left = Math.ceil(total / connections);
    const done = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    const pump = () => {
      while (left > 0) {
        // The last write of a connection is a whole number of lines, cut from the chunk.
        const part = left >= lines ? chunk : chunk.subarray(0, nthNewline(chunk, left) + 1);
        const n = Math.min(left, lines);
        left -= n;
        counts.sent += n;
        if (!socket.write(part)) return;
      }
      // Half-close: the server closes its side after the last line, so 'close' means "all read".
      socket.end();
    };
    socket.on('drain', pump);
    pump();
    return done;
  });
  await Promise.all(closed);
  return performance.now() - started;
}

function nthNewline(chunk: Buffer, n: number): number {
  let at = -1;
  for (let i = 0; i < n; i += 1) at = chunk.indexOf(10, at + 1);
  return at;
}

function flood(port: number, connections: number, nodes: number, invalidPercent: number): void {
  let queue = Promise.resolve();
  let pending = '';
  process.stdin.on('data', (d: Buffer) => {
    pending += d.toString();
    let nl: number;
    while ((nl = pending.indexOf('\n')) >= 0) {
      const total = Number(pending.slice(0, nl).split(' ')[1]);
      pending = pending.slice(nl + 1);
      queue = queue.then(async () => {
        const ms = await floodRound(port, connections, nodes, invalidPercent, total);
        print({ done: true, lines: Math.ceil(total / connections) * connections, ms });
      });
    }
  });
  print({ ready: true });
}

/** A mix of what broken agents send: bad values, bad keys, garbage, an old timestamp. */
function badLine(k: number, timestamp: number): string {
  const kinds = [
    `node${k % 97} ${timestamp} cpu=abc\n`,
    `node${k % 97} ${timestamp} CPU%=1\n`,
    `GET / HTTP/1.1\n`,
    `node${k % 97} 1000 cpu=1\n`,
    `{"cpu": 1}\n`,
  ];
  return kinds[k % kinds.length]!;
}

async function paced(port: number, connections: number, nodes: number, intervalMs: number): Promise<void> {
  const sockets = await openConnections(port, connections);
  print({ ready: true });
  const start = performance.now();
  let next = 0;
  setInterval(() => {
    const due = Math.floor(((performance.now() - start) * nodes) / intervalMs);
    const timestamp = Math.floor(Date.now() / 1000);
    for (; next < due; next += 1) {
      const node = next % nodes;
      sockets[node % connections]!.write(standardLine(node, timestamp, next));
      counts.sent += 1;
    }
  }, 5);
}

async function pushgateway(
  baseUrl: string,
  nodes: number,
  intervalMs: number,
  maxSockets: number,
  preloadMs: number,
): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets });
  const url = new URL(baseUrl);
  let inFlight = 0;
  const put = (node: number, k: number): Promise<boolean> => {
    inFlight += 1;
    counts.sent += 1;
    const body = pushgatewayBody(k);
    const started = performance.now();
    const path = `/metrics/job/obsmon/instance/node${String(node).padStart(6, '0')}`;
    return new Promise((resolve) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          method: 'PUT',
          path,
          agent,
          headers: { 'content-type': 'text/plain; version=0.0.4', 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            inFlight -= 1;
            const ok = res.statusCode !== undefined && res.statusCode < 300;
            if (ok) {
              counts.ok += 1;
              counts.pushMs += performance.now() - started;
            } else counts.failed += 1;
            resolve(ok);
          });
        },
      );
      req.on('error', () => {
        inFlight -= 1;
        counts.failed += 1;
        resolve(false);
      });
      req.end(body);
    });
  };

  // Fill the gateway with every node's group first, so the paced phase measures a full population.
  const deadline = performance.now() + preloadMs;
  let nextNode = 0;
  const worker = async () => {
    while (nextNode < nodes && performance.now() < deadline) {
      if (await put(nextNode++, 0)) counts.groups += 1;
    }
  };
  await Promise.all(Array.from({ length: maxSockets }, worker));
  print({ ready: true });

  const start = performance.now();
  let next = 0;
  setInterval(() => {
    const due = Math.floor(((performance.now() - start) * nodes) / intervalMs);
    for (; next < due; next += 1) {
      // Beyond a few requests per socket the gateway is behind: count the push as skipped, as an
      // agent with a timeout would, rather than queue without bound.
      if (inFlight >= maxSockets * 4) counts.skipped += 1;
      else void put(next % nodes, next);
    }
  }, 5);
}

setInterval(() => print(), 250);
if (mode === 'flood') flood(Number(target), Number(a), Number(b), Number(c));
else if (mode === 'paced') await paced(Number(target), Number(a), Number(b), Number(c));
else if (mode === 'pushgateway') await pushgateway(target, Number(a), Number(b), Number(c), Number(d));
else {
  process.stderr.write(`Unknown mode "${mode}"\n`);
  process.exit(2);
}
