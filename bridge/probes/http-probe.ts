import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { answered, monotonicMs, type ProbeResult } from './probe-result.ts';

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
  return new Promise((resolve) => {
    const started = monotonicMs();
    let done = false;
    const finish = (result: ProbeResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', abort);
      req.destroy();
      resolve(result);
    };
    const req = request(
      target,
      { method: 'GET', agent: false, headers: { 'user-agent': 'obsmon-bridge-probe', connection: 'close' } },
      (res) => {
        const elapsedMs = monotonicMs() - started;
        res.on('error', () => undefined);
        finish(
          res.statusCode === expectStatus
            ? answered(elapsedMs, timeoutMs, 'response')
            : { up: false, reason: `HTTP ${res.statusCode} (expected ${expectStatus})` },
        );
      },
    );
    const abort = () => finish({ up: false, reason: 'stopped' });
    signal.addEventListener('abort', abort, { once: true });
    const timer = setTimeout(
      () => finish({ up: false, reason: `no response within ${timeoutMs / 1000} s` }),
      timeoutMs,
    );
    // Refused, DNS, TLS, malformed response, reset: every error is a down device, never a crash.
    req.on('error', (error: NodeJS.ErrnoException) => finish({ up: false, reason: error.code ?? error.message }));
    req.end();
  });
}
