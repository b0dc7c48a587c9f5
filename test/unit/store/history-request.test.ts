import { describe, expect, test } from 'vitest';
import { parseHistoryRequest } from '../../../bridge/store/history-request.ts';

const NOW = 1_763_884_800_000;

describe('parseHistoryRequest', () => {
  test('metric with qualifier, explicit range', () => {
    expect(parseHistoryRequest('ccd01', { metric: 'disk@/data', from: '100', to: '200' }, NOW)).toEqual({
      ok: true,
      metric: 'disk@/data',
      query: { node: 'ccd01', key: 'disk', qualifier: '/data', from: 100, to: 200 },
    });
  });

  test('defaults: to = now, from = an hour before; LAMOST aliases are mapped', () => {
    expect(parseHistoryRequest('n1', { metric: 'cpu_percent' }, NOW)).toEqual({
      ok: true,
      metric: 'cpu',
      query: { node: 'n1', key: 'cpu', from: NOW / 1000 - 3600, to: NOW / 1000 },
    });
  });

  // `constructor` is the one Object.prototype member that is a valid custom key (the others have upper case or `_`).
  test.each(['constructor', 'constructor@x'])(
    '%s (an Object.prototype member name) is a key like any other',
    (metric) => {
      const qualifier = metric.split('@')[1];
      expect(parseHistoryRequest('n1', { metric, from: '1', to: '2' }, NOW)).toEqual({
        ok: true,
        metric,
        query: { node: 'n1', key: 'constructor', ...(qualifier === undefined ? {} : { qualifier }), from: 1, to: 2 },
      });
    },
  );

  test('disk@/ is the series of disk, as the decoder has it', () => {
    expect(parseHistoryRequest('n1', { metric: 'disk@/', from: '1', to: '2' }, NOW)).toEqual({
      ok: true,
      metric: 'disk',
      query: { node: 'n1', key: 'disk', from: 1, to: 2 },
    });
  });

  test.each([
    ['no metric', 'n1', {}],
    ['a reserved key (node)', 'n1', { metric: 'node' }],
    ['a reserved key (time)', 'n1', { metric: 'time' }],
    ['a reserved key with a qualifier (device@x)', 'n1', { metric: 'device@x' }],
    ['a key outside the protocol', 'n1', { metric: 'Robert"); DROP' }],
    ['a bad qualifier', 'n1', { metric: 'disk@a=b' }],
    ['a bad node', 'bad node', { metric: 'cpu' }],
    ['a non-numeric time', 'n1', { metric: 'cpu', from: 'yesterday' }],
    ['from after to', 'n1', { metric: 'cpu', from: '300', to: '200' }],
  ])('refuses %s', (_name, node, params) => {
    expect(parseHistoryRequest(node, params, NOW).ok).toBe(false);
  });
});
