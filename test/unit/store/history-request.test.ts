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

  test.each([
    ['no metric', 'n1', {}],
    ['a key outside the protocol', 'n1', { metric: 'Robert"); DROP' }],
    ['a bad qualifier', 'n1', { metric: 'disk@a=b' }],
    ['a bad node', 'bad node', { metric: 'cpu' }],
    ['a non-numeric time', 'n1', { metric: 'cpu', from: 'yesterday' }],
    ['from after to', 'n1', { metric: 'cpu', from: '300', to: '200' }],
  ])('refuses %s', (_name, node, params) => {
    expect(parseHistoryRequest(node, params, NOW).ok).toBe(false);
  });
});
