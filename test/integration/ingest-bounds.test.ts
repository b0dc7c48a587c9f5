import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { createTestPki, type TestPki } from '../helpers/test-certificates.ts';
import { connectTo, sendAndClose } from '../helpers/tcp-client.ts';
import { sampleValue, startTestBridge, type TestBridge } from '../helpers/test-bridge.ts';
import { waitFor } from '../helpers/wait-for.ts';

/**
 * The connection bounds of the agent ports (docs/security.md): limits at accept on the TLS port,
 * handshake and authentication deadlines, literal certificate names, the control-line grammar,
 * and no line lost to the line budget or to a shutdown.
 */
const execFileP = promisify(execFile);
const now = () => Math.floor(Date.now() / 1000);
const TOKEN = 'bounds-token-0123456789';
let bridge: TestBridge | undefined;

afterEach(async () => {
  await bridge?.stop();
  bridge = undefined;
});

const counter = async (name: string, labels = '') => sampleValue(await bridge!.metricsText(), name, labels);
const closed = (socket: Socket) =>
  new Promise<void>((resolve) => (socket.destroyed ? resolve() : socket.once('close', () => resolve())));
/** Loopback is all of 127/8 on Linux: a second "host" for per-source limits. */
const connectFrom = (port: number, localAddress: string) =>
  new Promise<Socket>((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress }, () => resolve(socket));
    socket.once('error', reject);
  });

function tokensFile(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'obsmon-bounds-')), 'tokens.yaml');
  writeFileSync(path, `tokens:\n  - name: all\n    token: ${TOKEN}\n    nodes: ["*"]\n`);
  return path;
}

describe('TLS port: limits at accept, handshake deadline, literal certificate names', () => {
  let pki: TestPki;
  beforeAll(() => {
    pki = createTestPki();
  });

  const tlsSend = (port: number, payload: string, client?: { cert: Buffer; key: Buffer }) =>
    new Promise<string>((resolve, reject) => {
      let received = '';
      const socket: TLSSocket = tlsConnect(
        { host: '127.0.0.1', port, ca: pki.pem(pki.caCert), servername: 'localhost', ...client },
        () => socket.end(payload),
      );
      socket.on('data', (d: Buffer) => (received += d.toString()));
      socket.on('error', reject);
      socket.on('close', () => resolve(received));
    });

  test('a source outside --allow-from is refused at accept, before any TLS byte', async () => {
    bridge = await startTestBridge({
      allowFrom: ['10.0.0.0/8'],
      tlsPort: 0,
      tlsCert: pki.serverCert,
      tlsKey: pki.serverKey,
    });
    const silent = await connectTo(bridge.tlsAddress!.port);
    await closed(silent);
    expect(await counter('obsmon_bridge_connections_rejected_total', 'reason="source_not_allowed"')).toBe(1);
    expect(await counter('obsmon_bridge_connections_rejected_total', 'reason="tls_handshake_timeout"')).toBe(0);
  });

  test('silent TLS connections count against the per-source and total limits, and time out', async () => {
    bridge = await startTestBridge({
      maxConnectionsPerSource: 3,
      maxConnections: 4,
      tlsHandshakeTimeout: 1,
      tlsPort: 0,
      tlsCert: pki.serverCert,
      tlsKey: pki.serverKey,
    });
    const tlsPort = bridge.tlsAddress!.port;
    const silent = [await connectTo(tlsPort), await connectTo(tlsPort), await connectTo(tlsPort)];
    const fourth = await connectTo(tlsPort);
    await closed(fourth);
    expect(await counter('obsmon_bridge_connections_rejected_total', 'reason="max_per_source"')).toBe(1);
    // The three handshakes plus one plain connection fill --max-connections 4: a fifth is refused.
    const plain = await connectFrom(bridge.ingestPort, '127.0.0.2');
    const fifth = await connectFrom(bridge.ingestPort, '127.0.0.3');
    await closed(fifth);
    expect(await counter('obsmon_bridge_connections_rejected_total', 'reason="max_connections"')).toBe(1);
    plain.destroy();
    // --tls-handshake-timeout 1: the silent ones are closed and counted; a real client then reports.
    await Promise.all(silent.map(closed));
    expect(await counter('obsmon_bridge_connections_rejected_total', 'reason="tls_handshake_timeout"')).toBe(3);
    await tlsSend(tlsPort, `secure2 ${now()} cpu=2\n`);
    expect(bridge.table.get('secure2')?.series.get('cpu')?.value).toBe(2);
  });

  test('4200 silent connections to the TLS port: the bridge holds at most --max-connections-per-source', async () => {
    bridge = await startTestBridge({
      maxConnectionsPerSource: 64,
      tlsHandshakeTimeout: 60,
      tlsPort: 0,
      tlsCert: pki.serverCert,
      tlsKey: pki.serverKey,
    });
    const tlsPort = bridge.tlsAddress!.port;
    const sockets: Socket[] = [];
    try {
      for (let i = 0; i < 4200; i += 1) sockets.push(await connectTo(tlsPort));
      await waitFor(
        '4136 refusals',
        async () =>
          (await counter('obsmon_bridge_connections_rejected_total', 'reason="max_per_source"')) === 4200 - 64,
        20_000,
        100,
      );
      await waitFor('the refused sockets closed', () => sockets.filter((s) => !s.destroyed).length === 64, 20_000, 100);
      // A legitimate agent on another address still gets in.
      const agent = await connectFrom(bridge.ingestPort, '127.0.0.2');
      agent.end(`legit01 ${now()} cpu=1\n`);
      await waitFor('the legitimate report', () => bridge!.table.get('legit01'), 10_000);
      expect(await counter('obsmon_bridge_connections_rejected_total', 'reason="tls_handshake_timeout"')).toBe(0);
    } finally {
      for (const s of sockets) s.destroy();
    }
  }, 120_000);

  test('certificate names are literal: CN "*" and DNS "cam-*" grant no other node', async () => {
    bridge = await startTestBridge({
      tlsPort: 0,
      tlsCert: pki.serverCert,
      tlsKey: pki.serverKey,
      tlsClientCa: pki.caCert,
    });
    const tlsPort = bridge.tlsAddress!.port;
    const t = now();
    expect(await tlsSend(tlsPort, `ccd01 ${t} cpu=1\n`, pki.client('*'))).toBe('ERR forbidden_node\n');
    expect(await tlsSend(tlsPort, `cam-01 ${t} cpu=1\ncam-02 ${t} cpu=2\n`, pki.client('cam-01', ['cam-*']))).toBe(
      'ERR forbidden_node\n',
    );
    expect(bridge.table.get('ccd01')).toBeUndefined();
    expect(bridge.table.get('cam-02')).toBeUndefined();
    expect(bridge.table.get('cam-01')?.series.get('cpu')?.value).toBe(1);
    // A literal SAN still grants exactly its name.
    await tlsSend(tlsPort, `cam-03 ${t} cpu=3\n`, pki.client('camera three', ['cam-03']));
    expect(bridge.table.get('cam-03')?.series.get('cpu')?.value).toBe(3);
    expect(await counter('obsmon_bridge_rejected_lines_total', 'reason="forbidden_node"')).toBe(2);
  });
});

describe('authentication deadline and the unauthenticated cap (--auth required)', () => {
  test('a connection silent past --auth-timeout is closed and counted; one that authenticated stays', async () => {
    bridge = await startTestBridge({ auth: 'required', authTokens: tokensFile(), authTimeout: 0.5, idleTimeout: 300 });
    const silent = await connectTo(bridge.ingestPort);
    const agent = await connectTo(bridge.ingestPort);
    agent.write(`AUTH ${TOKEN}\n`);
    await closed(silent);
    expect(await counter('obsmon_bridge_connections_closed_total', 'reason="auth_timeout"')).toBe(1);
    agent.end(`late01 ${now()} cpu=7\n`);
    await waitFor('the authenticated report', () => bridge!.table.get('late01'));
    await closed(agent);
    expect(await counter('obsmon_bridge_connections_closed_total', 'reason="auth_timeout"')).toBe(1);
  });

  test('--max-unauthenticated-per-source refuses the extra silent connection; authenticating frees a slot', async () => {
    bridge = await startTestBridge({
      auth: 'required',
      authTokens: tokensFile(),
      authTimeout: 60,
      maxUnauthenticatedPerSource: 3,
    });
    const held = [
      await connectTo(bridge.ingestPort),
      await connectTo(bridge.ingestPort),
      await connectTo(bridge.ingestPort),
    ];
    const extra = await connectTo(bridge.ingestPort);
    await closed(extra);
    expect(await counter('obsmon_bridge_connections_rejected_total', 'reason="max_unauthenticated"')).toBe(1);
    held[0]!.write(`AUTH ${TOKEN}\nfree01 ${now()} cpu=1\n`);
    await waitFor('the first connection authenticated', () => bridge!.table.get('free01'));
    // Two unauthenticated remain: one more is admitted (refused ones get no reply), the one after is not.
    const next = await connectTo(bridge.ingestPort);
    expect(await sendAndClose(bridge.ingestPort, `x ${now()} cpu=1\n`)).toBe('');
    expect(await counter('obsmon_bridge_connections_rejected_total', 'reason="max_unauthenticated"')).toBe(2);
    let reply = '';
    next.on('data', (d: Buffer) => (reply += d.toString()));
    next.end(`x ${now()} cpu=1\n`);
    await closed(next);
    expect(reply).toBe('ERR unauthenticated\n');
    for (const s of [...held, next]) s.destroy();
  });

  test('a plain connection gives its slots back once when it closes, whoever closes it', async () => {
    bridge = await startTestBridge({
      auth: 'required',
      authTokens: tokensFile(),
      authTimeout: 60,
      maxConnectionsPerSource: 2,
      maxUnauthenticatedPerSource: 2,
    });
    const connected = async () => Number(await counter('obsmon_bridge_connections'));
    const [peerCloses, bridgeCloses] = [await connectTo(bridge.ingestPort), await connectTo(bridge.ingestPort)];
    await waitFor('both connections open', async () => (await connected()) === 2);
    expect(await sendAndClose(bridge.ingestPort, `x ${now()} cpu=1\n`)).toBe('');
    expect(await counter('obsmon_bridge_connections_rejected_total', 'reason="max_per_source"')).toBe(1);
    peerCloses.destroy();
    // The bridge closes the other: not AUTH first, so ERR and close.
    bridgeCloses.resume().write(`x ${now()} cpu=1\n`);
    await closed(bridgeCloses);
    await waitFor('both closed', async () => (await connected()) === 0);
    expect(await counter('obsmon_bridge_connections_closed_total', 'reason="peer"')).toBe(1);
    expect(await counter('obsmon_bridge_connections_closed_total', 'reason="unauthenticated"')).toBe(1);
    // Both per-source and both unauthenticated slots are free again, and no more than that.
    const again = [await connectTo(bridge.ingestPort), await connectTo(bridge.ingestPort)];
    await waitFor('two connections open again', async () => (await connected()) === 2);
    expect(await sendAndClose(bridge.ingestPort, `x ${now()} cpu=1\n`)).toBe('');
    expect(await counter('obsmon_bridge_connections_rejected_total', 'reason="max_per_source"')).toBe(2);
    for (const s of again) s.destroy();
  });
});

describe('control lines follow docs/protocol.md section 9', () => {
  test('AUTH with a NUL or non-ASCII token, a bare PING and a later AUTH are refused and counted', async () => {
    bridge = await startTestBridge();
    const replies = await sendAndClose(
      bridge.ingestPort,
      Buffer.concat([
        Buffer.from('AUTH abc\x00def\n'),
        Buffer.from('AUTH caf\xe9-token\n', 'latin1'),
        Buffer.from('PING\nPING 7\n'),
      ]),
    );
    expect(replies).toBe('ERR malformed\nERR malformed\nERR malformed\nPONG 7\n');
    expect(await counter('obsmon_bridge_rejected_lines_total', 'reason="malformed"')).toBe(3);
  });

  test('AUTH counts only as the first line: a later one binds nothing and is refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'obsmon-bounds-'));
    const path = join(dir, 'tokens.yaml');
    writeFileSync(path, `tokens:\n  - name: ccd\n    token: ${TOKEN}\n    nodes: [ccd01]\n`);
    bridge = await startTestBridge({ auth: 'optional', authTokens: path });
    const t = now();
    expect(await sendAndClose(bridge.ingestPort, `legacy01 ${t} cpu=1\nAUTH ${TOKEN}\nweb01 ${t} cpu=2\n`)).toBe(
      'ERR malformed\n',
    );
    expect(bridge.table.get('web01')?.series.get('cpu')?.value).toBe(2);
    // As the first line it binds: the same report for web01 is forbidden.
    expect(await sendAndClose(bridge.ingestPort, `AUTH ${TOKEN}\nweb01 ${t + 1} cpu=3\n`)).toBe('ERR forbidden_node\n');
  });
});

describe('no line lost to the line budget or to a shutdown', () => {
  const lines = (node: string, count: number, first: number) =>
    Array.from({ length: count }, (_, i) => `${node} ${first + i} cpu=${i % 100}`).join('\n') + '\n';

  test('a throttled sender that half-closes right after writing keeps its tail (socket end(), then nc -N)', async () => {
    bridge = await startTestBridge();
    const t = now() - 20_000;
    await sendAndClose(bridge.ingestPort, lines('tail01', 5000, t));
    expect(await counter('obsmon_bridge_reports_accepted_total')).toBe(5000);
    expect(bridge.table.get('tail01')?.lastTimestamp).toBe(t + 4999);
    // Real OpenBSD netcat: -N shuts down the sending side after EOF on stdin, then waits for our close.
    const dir = mkdtempSync(join(tmpdir(), 'obsmon-tail-'));
    writeFileSync(join(dir, 'reports'), lines('tail02', 5000, t));
    await execFileP('sh', ['-c', `nc -N 127.0.0.1 ${bridge.ingestPort} < reports > /dev/null`], {
      cwd: dir,
      timeout: 60_000,
    });
    expect(await counter('obsmon_bridge_reports_accepted_total')).toBe(10_000);
    expect(await counter('obsmon_bridge_lines_total')).toBe(10_000);
    expect(await counter('obsmon_bridge_connection_pauses_total')).toBeGreaterThan(0);
    expect(await counter('obsmon_bridge_unprocessed_lines_total')).toBe(0);
  });

  test('lines held for the budget when the bridge itself closes the connection are counted, not lost silently', async () => {
    // --idle-timeout 1 at 1 line/s: the connection is closed (idle) while most of its lines wait.
    bridge = await startTestBridge({ maxLinesPerSecond: 1, idleTimeout: 1 });
    const agent = await connectTo(bridge.ingestPort);
    agent.write(lines('held01', 20, now() - 100));
    await closed(agent);
    // The bridge counts in its own close handler, which may run after the agent saw the close.
    const total = async () =>
      ((await counter('obsmon_bridge_lines_total')) ?? 0) +
      ((await counter('obsmon_bridge_unprocessed_lines_total')) ?? 0);
    await waitFor('every line handled or counted', async () => (await total()) === 20, 5000, 20).catch(() => undefined);
    const handled = (await counter('obsmon_bridge_lines_total'))!;
    const unprocessed = (await counter('obsmon_bridge_unprocessed_lines_total'))!;
    expect(unprocessed).toBeGreaterThan(0);
    expect(handled + unprocessed).toBe(20);
    expect(await counter('obsmon_bridge_connections_closed_total', 'reason="idle"')).toBe(1);
  });

  test('stop() handles what a paused agent already sent before closing, then resets its connection', async () => {
    bridge = await startTestBridge({ maxLinesPerSecond: 100 });
    const t = now() - 20_000;
    const agent = await connectTo(bridge.ingestPort);
    const reset = new Promise<string>((resolve) =>
      agent.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? '')),
    );
    agent.write(lines('drain01', 3000, t));
    await waitFor('the agent paused', async () => (await counter('obsmon_bridge_connection_pauses_total'))! > 0);
    const running = bridge;
    bridge = undefined;
    await running.stop();
    const accepted = (await running.registry.getSingleMetric('obsmon_bridge_reports_accepted_total')!.get()).values[0]!
      .value;
    expect(accepted).toBe(3000);
    expect(running.table.get('drain01')?.lastTimestamp).toBe(t + 2999);
    // A plain agent that does not read learns of the close at its next write, not after it.
    agent.write(`drain01 ${t + 3000} cpu=1\n`);
    expect(await reset).toMatch(/ECONNRESET|EPIPE/);
  });
});
