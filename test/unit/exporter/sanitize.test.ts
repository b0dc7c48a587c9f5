import { describe, expect, test } from 'vitest';
import { defaultNodeName } from '../../../exporter/node-name.ts';
import { toQualifier } from '../../../exporter/qualifier.ts';
import { sanitizeSamples } from '../../../exporter/sanitize-samples.ts';
import { NODE_PATTERN } from '../../../protocol/keys.ts';

describe('sanitizeSamples', () => {
  test('drops non-finite values, bad names and repeats, and clamps rounding overshoot', () => {
    const { samples, dropped } = sanitizeSamples([
      { key: 'cpu', value: 100.0000001 },
      { key: 'mem', value: Number.NaN },
      { key: 'disk', qualifier: '/data', value: 12 },
      { key: 'disk', qualifier: '/data', value: 13 },
      { key: 'rx', value: Number.POSITIVE_INFINITY },
      { key: 'Bad-Key', value: 1 },
      { key: 'disk', qualifier: 'a=b', value: 1 },
      { key: 'my_gauge', value: -5.25 },
    ]);
    expect(samples).toEqual([
      { key: 'cpu', value: 100 },
      { key: 'disk', qualifier: '/data', value: 12 },
      { key: 'my_gauge', value: -5.25 },
    ]);
    expect(dropped).toEqual(['mem', 'disk@/data', 'rx', 'Bad-Key', 'disk@a=b']);
  });

  test('drops what the bridge would refuse the whole line for: reserved keys and a second name of one series', () => {
    const { samples, dropped } = sanitizeSamples([
      { key: 'disk', value: 10 },
      { key: 'disk', qualifier: '/', value: 20 },
      { key: 'node', value: 1 },
      { key: 'time', value: 1 },
      { key: 'device', qualifier: 'x', value: 1 },
      { key: 'constructor', value: 3 },
    ]);
    expect(samples).toEqual([
      { key: 'disk', value: 10 },
      { key: 'constructor', value: 3 },
    ]);
    expect(dropped).toEqual(['disk@/', 'node', 'time', 'device@x']);
  });
});

describe('toQualifier', () => {
  test.each([
    { input: '/data', expect: '/data' },
    { input: '/mnt/my disk', expect: '/mnt/my_disk' },
    { input: 'a=b\tc', expect: 'a_b_c' },
    { input: 'é', expect: '_' },
    { input: 'x'.repeat(80), expect: 'x'.repeat(64) },
    { input: '', expect: undefined },
  ])('$input -> $expect', ({ input, expect: q }) => {
    expect(toQualifier(input)).toBe(q);
  });
});

describe('defaultNodeName', () => {
  test.each([
    { host: 'ccd01.lamost.org', expect: 'ccd01' },
    { host: 'CCD-01', expect: 'CCD-01' },
    { host: 'my host', expect: 'my_host' },
    { host: '-dash', expect: '_dash' },
    { host: 'x'.repeat(100), expect: 'x'.repeat(64) },
    { host: '', expect: 'localhost' },
  ])('$host -> $expect', ({ host, expect: name }) => {
    expect(defaultNodeName(host)).toBe(name);
    expect(NODE_PATTERN.test(name)).toBe(true);
  });
});
