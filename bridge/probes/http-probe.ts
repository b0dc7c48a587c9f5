import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { answered, failed, monotonicMs, probeAttempt, type ProbeResult } from './probe-result.ts';

/**
 * Up = a GET of `url` answers `expectStatus` within the timeout; the round trip is the time to the
 * response headers. The body is never read (a weather station's page may be large or endless) and
 * redirects are not followed: a 301 is the device's answer, compared with expect_status.
 */
export function httpProbe(
  url: string,
  expectStatus: number,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<ProbeResult> {
  const target = new URL(url);
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return probeAttempt('response', timeoutMs, signal, (finish, startedMs) => {
    const req = request(
      target,
      { method: 'GET', agent: false, headers: { 'user-agent': 'obsmon-bridge-probe', connection: 'close' } },
      (res) => {
        const elapsedMs = monotonicMs() - startedMs;
        res.on('error', () => undefined);
        finish(
          res.statusCode === expectStatus
            ? answered(elapsedMs, timeoutMs, 'response')
            : { up: false, reason: `HTTP ${res.statusCode} (expected ${expectStatus})` },
        );
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => finish(failed(error)));
    req.end();
    return () => req.destroy();
  });
}
