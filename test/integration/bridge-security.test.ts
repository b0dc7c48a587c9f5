import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { createTestPki, type TestPki } from '../helpers/test-certificates.ts';
import { connectTo, sendAndClose } from '../helpers/tcp-client.ts';
import { sampleValue, startTestBridge, type TestBridge } from '../helpers/test-bridge.ts';
import { waitFor } from '../helpers/wait-for.ts';

const now = () => Math.floor(Date.now() / 1000);
const SHARED = 'shared-token-0123456789';
const CCD = 'ccd-only-token-0123456789';
let bridge: TestBridge | undefined;

afterEach(async () => {
  await bridge?.stop();
  bridge = undefined;
});

function tokensFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'obsmon-auth-'));
  writeFileSync(join(dir, 'ccd.token'), `${CCD}\n`);
  const path = join(dir, 'tokens.yaml');
  writeFileSync(
    path,
    `tokens:\n  - name: shared\n    token: ${SHARED}\n    nodes: ["*"]\n  - name: cameras\n    token_file: ccd.token\n    nodes: [ccd01, "cam-*"]\n`,
  );
  return path;
}

const counter = async (name: string, labels = '') => sampleValue(await bridge!.metricsText(), name, labels);

describe('who may report', () => {
  test('a source outside --allow-from is refused and counted; an allowed one reports', async () => {
    bridge = await startTestBridge({ allowFrom: ['10.0.0.0/8', '::1'] });
    const socket = await connectTo(bridge.ingestPort);
    await new Promise((resolve) => socket.once('close', resolve));
    expect(await counter('obsmon_bridge_connections_rejected_total', 'reason="source_not_allowed"')).toBe(1);
    await bridge.stop();
    bridge = await startTestBridge({ allowFrom: ['127.0.0.0/8'] });
    await sendAndClose(bridge.ingestPort, `ok1 ${now()} cpu=1\n`);
    expect(bridge.table.get('ok1')).toBeDefined();
  });

  test('--max-connections-per-source refuses the extra connection from one address', async () => {
    bridge = await startTestBridge({ maxConnectionsPerSource: 2 });
    const held = [await connectTo(bridge.ingestPort), await connectTo(bridge.ingestPort)];
    const third = await connectTo(bridge.ingestPort);
    await new Promise((resolve) => third.once('close', resolve));
    expect(await counter('obsmon_bridge_connections_rejected_total', 'reason="max_per_source"')).toBe(1);
    for (const s of held) s.destroy();
  });

  test('auth required: no AUTH line, or a wrong token, closes the connection with ERR and a count', async () => {
    bridge = await startTestBridge({ auth: 'required', authTokens: tokensFile() });
    expect(await sendAndClose(bridge.ingestPort, `n1 ${now()} cpu=1\nn1 ${now()} cpu=2\n`)).toBe(
      'ERR unauthenticated\n',
    );
    expect(await sendAndClose(bridge.ingestPort, `AUTH wrong-token-000000000\nn1 ${now()} cpu=1\n`)).toBe(
      'ERR bad_token\n',
    );
    expect(bridge.table.get('n1')).toBeUndefined();
    expect(await counter('obsmon_bridge_rejected_lines_total', 'reason="unauthenticated"')).toBe(1);
    expect(await counter('obsmon_bridge_connections_rejected_total', 'reason="bad_token"')).toBe(1);
  });

  test('a token reports only for its nodes: a forged report for another node is rejected, the connection goes on', async () => {
    bridge = await startTestBridge({ auth: 'required', authTokens: tokensFile() });
    const t = now();
    const reply = await sendAndClose(
      bridge.ingestPort,
      `AUTH ${CCD}\nccd01 ${t} cpu=1\nweb01 ${t} cpu=66\ncam-7 ${t} cpu=3\n`,
    );
    expect(reply).toBe('ERR forbidden_node\n');
    expect(bridge.table.get('ccd01')).toBeDefined();
    expect(bridge.table.get('cam-7')).toBeDefined();
    expect(bridge.table.get('web01')).toBeUndefined();
    expect(await counter('obsmon_bridge_rejected_lines_total', 'reason="forbidden_node"')).toBe(1);
    await sendAndClose(bridge.ingestPort, `AUTH ${SHARED}\nweb01 ${t} cpu=66\n`);
    expect(bridge.table.get('web01')?.series.get('cpu')?.value).toBe(66);
  });

  test('auth optional: legacy agents without AUTH still report, tokens still bind their nodes', async () => {
    bridge = await startTestBridge({ auth: 'optional', authTokens: tokensFile() });
    const t = now();
    await sendAndClose(bridge.ingestPort, `legacy ${t} cpu=1\n`);
    expect(bridge.table.get('legacy')).toBeDefined();
    expect(await sendAndClose(bridge.ingestPort, `AUTH ${CCD}\nlegacy ${t + 1} cpu=2\n`)).toBe('ERR forbidden_node\n');
  });
});

describe('TLS ingest', () => {
  let pki: TestPki;
  beforeAll(() => {
    pki = createTestPki();
  });
  afterAll(() => undefined);

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

  test('reports over TLS arrive; a plain-text client on the TLS port is refused and counted', async () => {
    bridge = await startTestBridge({ tlsPort: 0, tlsCert: pki.serverCert, tlsKey: pki.serverKey });
    const tlsPort = bridge.tlsAddress!.port;
    await tlsSend(tlsPort, `secure1 ${now()} cpu=4\n`);
    expect(bridge.table.get('secure1')?.series.get('cpu')?.value).toBe(4);
    await sendAndClose(tlsPort, `plain ${now()} cpu=1\n`).catch(() => '');
    await waitFor(
      'tls handshake failure counted',
      async () => (await counter('obsmon_bridge_connections_rejected_total', 'reason="tls_handshake"')) === 1,
    );
    expect(bridge.table.get('plain')).toBeUndefined();
  });

  test('with --tls-client-ca a client certificate is required and names the nodes it may report', async () => {
    bridge = await startTestBridge({
      tlsPort: 0,
      tlsCert: pki.serverCert,
      tlsKey: pki.serverKey,
      tlsClientCa: pki.caCert,
    });
    const tlsPort = bridge.tlsAddress!.port;
    await expect(tlsSend(tlsPort, `anon ${now()} cpu=1\n`)).rejects.toThrow();
    const reply = await tlsSend(tlsPort, `ccd09 ${now()} cpu=9\nimpostor ${now()} cpu=1\n`, pki.client('ccd09'));
    expect(reply).toBe('ERR forbidden_node\n');
    expect(bridge.table.get('ccd09')?.series.get('cpu')?.value).toBe(9);
    expect(bridge.table.get('impostor')).toBeUndefined();
  });
});

describe('limits that slow down or cut off abusers', () => {
  test('a sender over --max-lines-per-second is paused, not dropped: every line arrives', async () => {
    bridge = await startTestBridge({ maxLinesPerSecond: 100 });
    const t = now() - 1000;
    const socket = await connectTo(bridge.ingestPort);
    socket.write(Array.from({ length: 300 }, (_, i) => `replay ${t + i} cpu=${i % 100}`).join('\n') + '\n');
    // 300 lines at 100/s cannot all be in after the first second's burst.
    expect(await counter('obsmon_bridge_reports_accepted_total')).toBeLessThan(300);
    await waitFor(
      'all 300 lines',
      async () => (await counter('obsmon_bridge_reports_accepted_total')) === 300,
      10_000,
      100,
    );
    expect(bridge.table.get('replay')?.lastTimestamp).toBe(t + 299);
    expect(await counter('obsmon_bridge_connection_pauses_total')).toBeGreaterThan(0);
    socket.destroy();
  });

  test('a slowloris sender that never finishes its line is closed after --line-timeout', async () => {
    bridge = await startTestBridge({ lineTimeout: 1, idleTimeout: 60 });
    const socket = await connectTo(bridge.ingestPort);
    const drip = setInterval(() => socket.write('x'), 100);
    await new Promise((resolve) => socket.once('close', resolve));
    clearInterval(drip);
    expect(await counter('obsmon_bridge_connections_closed_total', 'reason="slow"')).toBe(1);
  });

  test('custom keys per node are bounded; standard keys still update', async () => {
    bridge = await startTestBridge({ maxCustomKeysPerNode: 2 });
    const t = now();
    await sendAndClose(bridge.ingestPort, `c1 ${t} k1=1 k2=2 k3=3 k4=4 cpu=5\n`);
    const node = bridge.table.get('c1')!;
    expect([...node.series.keys()].sort()).toEqual(['cpu', 'k1', 'k2']);
    expect(await counter('obsmon_bridge_dropped_samples_total', 'reason="too_many_custom_keys"')).toBe(2);
  });
});

describe('HTTP protections', () => {
  function secretFile(content: string): string {
    const path = join(mkdtempSync(join(tmpdir(), 'obsmon-http-')), 'secret');
    writeFileSync(path, content);
    return path;
  }

  test('with bearer and basic auth configured, everything but /healthz needs credentials', async () => {
    bridge = await startTestBridge({
      httpBearerTokens: secretFile('# scraper\nscrape-token-123\n'),
      httpBasicAuth: secretFile('operator:night-shift\n'),
    });
    const url = bridge.httpUrl;
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    for (const path of ['/metrics', '/api/v1/nodes', '/']) {
      const anonymous = await fetch(`${url}${path}`);
      expect(anonymous.status, path).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toContain('Basic');
    }
    expect((await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer scrape-token-123' } })).status).toBe(200);
    expect((await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer scrape-token-124' } })).status).toBe(401);
    const basic = `Basic ${Buffer.from('operator:night-shift').toString('base64')}`;
    expect((await fetch(`${url}/api/v1/nodes`, { headers: { authorization: basic } })).status).toBe(200);
  });

  test('read-only: other methods get 405; no path escapes the page directory', async () => {
    bridge = await startTestBridge();
    const url = bridge.httpUrl;
    expect((await fetch(`${url}/api/v1/nodes`, { method: 'POST', body: 'x' })).status).toBe(405);
    expect((await fetch(`${url}/metrics`, { method: 'DELETE' })).status).toBe(405);
    for (const path of [
      '/..%2fpackage.json',
      '/%2e%2e/%2e%2e/package.json',
      '/vendor/..%2f..%2f..%2fpackage.json',
      '/vendor/%2e%2e/%2e%2e/%2e%2e/package.json',
    ]) {
      const res = await fetch(`${url}${path}`);
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(await res.text(), path).not.toContain('"name": "obsmon"');
    }
    const page = await fetch(`${url}/`);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
  });

  test('CORS only for the configured origins', async () => {
    bridge = await startTestBridge({ corsOrigins: ['https://ops.example.org'] });
    const allowed = await fetch(`${bridge.httpUrl}/api/v1/nodes`, { headers: { origin: 'https://ops.example.org' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://ops.example.org');
    const other = await fetch(`${bridge.httpUrl}/api/v1/nodes`, { headers: { origin: 'https://evil.example.com' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('the real exporter against a protected bridge', () => {
  test('sends AUTH from --token-file and reports over TLS with a client certificate', async () => {
    const { startExporter } = await import('../../exporter/agent.ts');
    const { exporterOptionSpecs } = await import('../../exporter/options.ts');
    const { loadOptions } = await import('../../config/load.ts');
    const { silentLogger } = await import('../../lib/logger.ts');
    const pki = createTestPki();
    const client = pki.client('ccd01');
    const dir = mkdtempSync(join(tmpdir(), 'obsmon-agent-'));
    writeFileSync(join(dir, 'token'), `${CCD}\n`);
    writeFileSync(join(dir, 'client.pem'), client.cert);
    writeFileSync(join(dir, 'client.key'), client.key);
    bridge = await startTestBridge({
      auth: 'required',
      authTokens: tokensFile(),
      tlsPort: 0,
      tlsCert: pki.serverCert,
      tlsKey: pki.serverKey,
      tlsClientCa: pki.caCert,
    });
    const defaults = loadOptions(exporterOptionSpecs, [], {}).values;
    const exporter = await startExporter(
      {
        ...defaults,
        server: [`127.0.0.1:${bridge.tlsAddress!.port}`],
        node: 'ccd01',
        interval: 0.2,
        tokenFile: join(dir, 'token'),
        tlsCa: pki.caCert,
        tlsCert: join(dir, 'client.pem'),
        tlsKey: join(dir, 'client.key'),
      },
      silentLogger,
    );
    try {
      await waitFor('ccd01 over TLS with a token', () => bridge!.table.get('ccd01')?.series.get('mem'), 10_000);
      expect(await counter('obsmon_bridge_rejected_lines_total', 'reason="unauthenticated"')).toBe(0);
    } finally {
      await exporter.stop();
    }
  });
});
