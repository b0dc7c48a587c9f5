import { describe, expect, test } from 'vitest';
import {
  networkWriteError,
  parseRetryAfter,
  printable,
  reasonOfStatus,
  WriteError,
} from '../../../bridge/store/write-error.ts';

describe('write errors', () => {
  test.each([
    [400, 'rejected'],
    [413, 'rejected'],
    [422, 'rejected'],
    [401, 'unauthorized'],
    [403, 'unauthorized'],
    [404, 'not_found'],
    [408, 'timeout'],
    [429, 'throttled'],
    [500, 'server_error'],
    [503, 'server_error'],
    [409, 'unexpected_status'],
  ] as const)('HTTP %i is %s', (status, reason) => {
    expect(reasonOfStatus(status)).toBe(reason);
  });

  test('only line problems are not retried; a wrong URL (404) keeps the lines for a retry', () => {
    expect(new WriteError('rejected', 'x', 400).canRetry()).toBe(false);
    expect(new WriteError('not_found', 'x', 404).canRetry()).toBe(true);
    expect(new WriteError('unauthorized', 'x', 401).canRetry()).toBe(true);
  });

  test('Retry-After is seconds or an HTTP date, not milliseconds', () => {
    expect(parseRetryAfter('1', 0)).toBe(1000);
    expect(parseRetryAfter('120', 0)).toBe(120_000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(10_000);
    expect(parseRetryAfter('soon', 0)).toBeUndefined();
    expect(parseRetryAfter(null, 0)).toBeUndefined();
  });

  test('network failures are unreachable or timeout', () => {
    expect(
      networkWriteError(
        Object.assign(new TypeError('fetch failed'), {
          cause: { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED' },
        }),
        100,
      ).reason,
    ).toBe('unreachable');
    expect(networkWriteError(Object.assign(new Error('aborted'), { name: 'TimeoutError' }), 100).reason).toBe(
      'timeout',
    );
    // node:http aborted by AbortSignal.timeout()
    expect(
      networkWriteError(
        Object.assign(new Error('aborted'), {
          name: 'AbortError',
          code: 'ABORT_ERR',
          cause: new DOMException('t', 'TimeoutError'),
        }),
        100,
      ).reason,
    ).toBe('timeout');
  });

  test('an answer the HTTP parser cannot read is bad_response, not an outage; control bytes are escaped', () => {
    const error = networkWriteError(
      Object.assign(new TypeError('fetch failed'), {
        cause: { code: 'HPE_INVALID_HEADER_TOKEN', message: 'Invalid header value char \x07' },
      }),
      100,
    );
    expect(error.reason).toBe('bad_response');
    expect(error.canRetry()).toBe(true);
    expect(error.message).toBe('Unparsable answer (HPE_INVALID_HEADER_TOKEN: Invalid header value char \\x07)');
    expect(printable('a\x00b\r\nc\x7f')).toBe('a\\x00b\\x0d\\x0ac\\x7f');
  });
});
