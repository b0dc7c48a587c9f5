import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { uncompressSync } from 'snappy';
import { afterEach, describe, expect, test } from 'vitest';
import { remoteWriteConfig, type RemoteWriteOptions } from '../../../bridge/store/remote-write-config.ts';
import { RemoteWriteEndpoint } from '../../../bridge/store/remote-write-endpoint.ts';
import { parseSeriesHead, reportToSampleLines, sampleLinesToSeries } from '../../../bridge/store/sample-lines.ts';
import { timestampOfLine } from '../../../bridge/store/line-protocol.ts';
import { WriteError } from '../../../bridge/store/write-error.ts';
import { createStore } from '../../../bridge/store/store.ts';
import { createLogger } from '../../../lib/logger.ts';
import { Registry } from 'prom-client';
import { waitFor } from '../../helpers/wait-for.ts';
import { defaultBridgeOptions } from '../../helpers/test-bridge.ts';

const report = (samples: Array<{ key: string; qualifier?: string; value: number }>, timestamp = 1763884800.25) => ({
  node: 'ccd01',
  timestamp,
  receivedAt: 0,
  samples,
});

describe('sample lines (the remote-write spool format)', () => {
  test('a report becomes one line per sample with the /metrics names and labels, plus obsmon_node_up', () => {
    const lines = reportToSampleLines(
      report([
        { key: 'cpu', value: 12.5 },
        { key: 'disk', value: 81.2 },
        { key: 'disk', qualifier: '/data', value: 75.3 },
        { key: 'rx', qualifier: 'eth0', value: 1200 },
        { key: 'dome', value: 1e-7 },
        { key: 'dome', qualifier: 'north', value: 2 },
      ]),
    );
    expect(lines).toEqual([
      'obsmon_node_up{node="ccd01"} 1 1763884800.25',
      'obsmon_node_cpu_usage_percent{node="ccd01"} 12.5 1763884800.25',
      'obsmon_node_disk_usage_percent{node="ccd01",mount="/"} 81.2 1763884800.25',
      'obsmon_node_disk_usage_percent{node="ccd01",mount="/data"} 75.3 1763884800.25',
      'obsmon_node_network_interface_receive_bytes_per_second{node="ccd01",interface="eth0"} 1200 1763884800.25',
      'obsmon_node_custom{node="ccd01",key="dome"} 1e-7 1763884800.25',
      'obsmon_node_custom{node="ccd01",key="dome",device="north"} 2 1763884800.25',
    ]);
    // The spool's oldest-point gauge reads the last field as unix seconds.
    expect(timestampOfLine(lines[0]!)).toBe(1763884800.25);
  });

  test('hostile qualifiers survive the round trip: quotes, backslashes, braces, commas', () => {
    const qualifier = 'a"b\\c,d}{e=';
    const [, line] = reportToSampleLines(report([{ key: 'temp', qualifier, value: 20 }], 1763884800));
    const { series, unreadable } = sampleLinesToSeries([line!]);
    expect(unreadable).toEqual([]);
    expect(series).toEqual([
      {
        labels: [
          ['__name__', 'obsmon_node_sensor_temperature_celsius'],
          ['node', 'ccd01'],
          ['sensor', qualifier],
        ],
        samples: [{ value: 20, timestampMs: 1763884800000 }],
      },
    ]);
  });

  test('lines group into series with labels sorted by name and samples in time order', () => {
    const lines = [
      ...reportToSampleLines(report([{ key: 'dome', qualifier: 'n', value: 3 }], 1763884810.5)),
      ...reportToSampleLines(report([{ key: 'dome', qualifier: 'n', value: 2 }], 1763884800.001)),
    ];
    const { series } = sampleLinesToSeries(lines);
    expect(series.map((s) => s.labels)).toEqual([
      [
        ['__name__', 'obsmon_node_up'],
        ['node', 'ccd01'],
      ],
      [
        ['__name__', 'obsmon_node_custom'],
        ['device', 'n'],
        ['key', 'dome'],
        ['node', 'ccd01'],
      ],
    ]);
    expect(series[1]!.samples).toEqual([
      { value: 2, timestampMs: 1763884800001 },
      { value: 3, timestampMs: 1763884810500 },
    ]);
  });

  test.each([
    ['no value', 'obsmon_node_up{node="a"} 1763884800'],
    ['a bad value', 'obsmon_node_up{node="a"} x 1763884800'],
    ['a bad timestamp', 'obsmon_node_up{node="a"} 1 soon'],
    ['an open label value', 'obsmon_node_up{node="a} 1 1763884800'],
    ['no labels', 'obsmon_node_up 1 1763884800'],
    ['a duplicate label', 'obsmon_node_up{node="a",node="b"} 1 1763884800'],
    ['garbage', '\u0000\u0001'],
  ])('an unreadable line (%s) is set apart, the rest goes on', (_, bad) => {
    const good = 'obsmon_node_up{node="a"} 1 1763884800';
    const { series, unreadable } = sampleLinesToSeries([good, bad]);
    expect(unreadable).toEqual([bad]);
    expect(series).toHaveLength(1);
  });

  test('parseSeriesHead reads the heads /metrics renders', () => {
    expect(parseSeriesHead('obsmon_node_custom{node="n1",key="k",device="x\\\\y\\"z\\n"}')).toEqual([
      ['__name__', 'obsmon_node_custom'],
      ['device', 'x\\y"z\n'],
      ['key', 'k'],
      ['node', 'n1'],
    ]);
  });
});

describe('remoteWriteConfig', () => {
  const options = (o: Partial<RemoteWriteOptions>): RemoteWriteOptions => ({ ...defaultBridgeOptions(), ...o });

  test('off without --remote-write-url; defaults: 10 s timeout, 2000 samples per request, no auth', () => {
    expect(remoteWriteConfig(options({}))).toBeUndefined();
    expect(remoteWriteConfig(options({ remoteWriteUrl: 'http://prom:9090/api/v1/write' }))).toEqual({
      url: 'http://prom:9090/api/v1/write',
      timeoutMs: 10_000,
      batchSize: 2000,
    });
  });

  test('a bearer token or basic auth becomes the authorization header', () => {
    expect(
      remoteWriteConfig(options({ remoteWriteUrl: 'http://p/api/v1/write', remoteWriteBearerToken: 'tok' }))
        ?.authorization,
    ).toBe('Bearer tok');
    expect(
      remoteWriteConfig(
        options({ remoteWriteUrl: 'http://p/api/v1/write', remoteWriteUser: 'u', remoteWritePassword: 'p' }),
      )?.authorization,
    ).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
  });

  test.each([
    [
      'a token without URL',
      { remoteWriteBearerToken: 't' },
      /--remote-write-bearer-token.*requires --remote-write-url/,
    ],
    [
      'token and user',
      { remoteWriteUrl: 'http://p/w', remoteWriteBearerToken: 't', remoteWriteUser: 'u' },
      /choose one/,
    ],
    [
      'a password without user',
      { remoteWriteUrl: 'http://p/w', remoteWritePassword: 'p' },
      /--remote-write-password.*requires --remote-write-user/,
    ],
    ['credentials in the URL', { remoteWriteUrl: 'http://u:p@p/w' }, /credentials in the URL/],
  ])('%s stops start-up with one line naming the flags', (_, o, message) => {
    expect(() => remoteWriteConfig(options(o))).toThrow(message);
  });
});

describe('RemoteWriteEndpoint request and answers', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((resolve) => server?.close(resolve) ?? resolve(undefined));
    server = undefined;
  });

  async function capture(status: number, headers: Record<string, string> = {}, body = '') {
    const requests: Array<{ url: string; headers: IncomingHttpHeaders; body: Buffer }> = [];
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        requests.push({ url: req.url!, headers: req.headers, body: Buffer.concat(chunks) });
        res.writeHead(status, headers).end(body);
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}/api/v1/write`, requests };
  }

  const lines = reportToSampleLines(report([{ key: 'cpu', value: 1 }]));

  test('POST with the protocol 1.0 headers, snappy-compressed protobuf, and the authorization', async () => {
    const { url, requests } = await capture(204);
    await new RemoteWriteEndpoint({ url, timeoutMs: 5000, authorization: 'Bearer tok' }).send(lines);
    expect(requests).toHaveLength(1);
    const { headers, body } = requests[0]!;
    expect(requests[0]!.url).toBe('/api/v1/write');
    expect(headers).toMatchObject({
      'content-encoding': 'snappy',
      'content-type': 'application/x-protobuf',
      'x-prometheus-remote-write-version': '0.1.0',
      authorization: 'Bearer tok',
    });
    const proto = uncompressSync(body) as Buffer;
    expect(proto.includes('obsmon_node_cpu_usage_percent')).toBe(true);
    expect(proto.includes('__name__')).toBe(true);
  });

  test.each([
    [400, {}, 'out of order sample', 'rejected'],
    // Prometheus 2.42 for a sample older than out_of_order_time_window: about the sample, so not retried.
    [500, {}, 'too old sample', 'rejected'],
    [500, {}, 'something broke', 'server_error'],
    [401, {}, 'no', 'unauthorized'],
    [404, {}, '404 page not found', 'not_found'],
  ] as const)('HTTP %i "%s" is a %s failure', async (status, headers, body, reason) => {
    const { url } = await capture(status, headers, body);
    const error = await new RemoteWriteEndpoint({ url, timeoutMs: 5000 }).send(lines).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WriteError);
    expect((error as WriteError).reason).toBe(reason);
    expect((error as WriteError).message).toContain(body);
  });

  test('a receiver that answers 404 is logged as an error naming the remote-write flags, and the points stay spooled', async () => {
    const { url } = await capture(404, {}, '404 page not found');
    const logged: string[] = [];
    const store = createStore(
      { ...defaultBridgeOptions(), remoteWriteUrl: url },
      new Registry(),
      createLogger('store', 'info', (l) => logged.push(l)),
    );
    try {
      store.record(report([{ key: 'cpu', value: 1 }]));
      await store.flush();
      await waitFor('the error line', () => logged.some((l) => l.includes(' error ')));
      expect(logged.find((l) => l.includes(' error '))).toMatch(
        /store\/remote-write: Cannot write to the database \(not_found: HTTP 404: 404 page not found\).*check --remote-write-url.*--web.enable-remote-write-receiver/,
      );
      expect(store.pending).toBe(2);
    } finally {
      await store.close();
    }
  });

  test('429 with Retry-After in seconds', async () => {
    const { url } = await capture(429, { 'retry-after': '3' }, 'slow down');
    const error = (await new RemoteWriteEndpoint({ url, timeoutMs: 5000 })
      .send(lines)
      .catch((e: unknown) => e)) as WriteError;
    expect([error.reason, error.retryAfterMs]).toEqual(['throttled', 3000]);
  });

  test('an unreadable spool line refuses the batch (so the writer bisects it into the dead letter) without a request', async () => {
    const { url, requests } = await capture(204);
    const error = (await new RemoteWriteEndpoint({ url, timeoutMs: 5000 })
      .send([...lines, 'torn{'])
      .catch((e: unknown) => e)) as WriteError;
    expect(error.reason).toBe('rejected');
    expect(requests).toHaveLength(0);
  });
});
