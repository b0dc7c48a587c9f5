import { request } from 'node:http';

/** A TCP port free on 127.0.0.1 right now (children need port numbers up front). */
export { freePort } from '../testkit/free-port.ts';

export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
  /** Bytes of the body as sent (compressed when the server compressed). */
  readonly bytes: number;
  /** Request sent -> last byte received, ms. */
  readonly ms: number;
}

/**
 * A plain HTTP GET with exactly the headers given (fetch would add `accept-encoding: gzip`, and
 * a server that then compresses would be timed doing work the other does not).
 */
export function httpGet(url: string, headers: Record<string, string> = {}, timeoutMs = 30_000): Promise<HttpAnswer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        resolve({
          status: res.statusCode ?? 0,
          body: raw.toString('latin1'),
          bytes: raw.length,
          ms: performance.now() - started,
        });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** Polling with a deadline (bench waits are for child processes: callers pass their timeouts). */
export { GaveUp, waitFor } from '../testkit/wait-for.ts';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Value of the first sample of `name` whose labels contain `labels` ('' = no labels) in exposition text. */
export function sampleValue(text: string, name: string, labels = ''): number | undefined {
  const prefix = labels === '' ? `${name} ` : `${name}{`;
  let from = 0;
  for (;;) {
    const at = text.indexOf(`\n${prefix}`, from);
    if (at < 0) return undefined;
    const end = text.indexOf('\n', at + 1);
    const line = text.slice(at + 1, end < 0 ? undefined : end);
    from = at + 1;
    if (labels !== '' && !line.slice(0, line.lastIndexOf('}') + 1).includes(labels)) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
}
