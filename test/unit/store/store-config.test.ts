import { describe, expect, test } from 'vitest';
import { databaseConfig, type StorageOptions } from '../../../bridge/store/store-config.ts';
import { defaultBridgeOptions } from '../../helpers/test-bridge.ts';

const options = (o: Partial<StorageOptions>): StorageOptions => ({ ...defaultBridgeOptions(), ...o });

describe('databaseConfig', () => {
  test('no --influx-url: nothing is stored', () => {
    expect(databaseConfig(options({}))).toEqual({ api: 'none' });
  });

  test('--influx-db selects the 1.x API with optional rp and credentials', () => {
    expect(
      databaseConfig(
        options({
          influxUrl: 'http://db:8086',
          influxDb: 'obsmon',
          influxRp: 'year',
          influxUser: 'u',
          influxPassword: 'p',
        }),
      ),
    ).toEqual({
      api: 'v1',
      url: 'http://db:8086',
      db: 'obsmon',
      rp: 'year',
      user: 'u',
      password: 'p',
      timeoutMs: 10_000,
    });
  });

  test('--influx-bucket selects the v2 API', () => {
    expect(
      databaseConfig(
        options({ influxUrl: 'http://db:8086', influxOrg: 'obs', influxBucket: 'obsmon', influxToken: 't' }),
      ),
    ).toMatchObject({
      api: 'v2',
      org: 'obs',
      bucket: 'obsmon',
      token: 't',
      maxLines: 5000,
    });
  });

  test.each([
    ['--influx-db without --influx-url', { influxDb: 'obsmon' }, /--influx-db.*requires --influx-url/],
    ['--influx-url alone', { influxUrl: 'http://db:8086' }, /requires --influx-bucket \(v2 API\) or --influx-db/],
    ['both APIs', { influxUrl: 'http://db:8086', influxDb: 'a', influxBucket: 'b' }, /choose one/],
    [
      'a v2 flag with the 1.x API',
      { influxUrl: 'http://db:8086', influxDb: 'a', influxToken: 't' },
      /--influx-token.*not used by the InfluxDB 1.x API/,
    ],
    [
      'a 1.x flag with the v2 API',
      { influxUrl: 'http://db:8086', influxOrg: 'o', influxBucket: 'b', influxRp: 'r' },
      /--influx-rp.*not used by the v2 API/,
    ],
    ['a bucket without org', { influxUrl: 'http://db:8086', influxBucket: 'b' }, /requires --influx-org/],
  ])('refuses %s in one line', (_name, o, message) => {
    expect(() => databaseConfig(options(o))).toThrow(message);
  });
});
