import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** Of an answer's body only this much is kept (for the error message); the rest is read and discarded. */
const MAX_ANSWER_BODY_BYTES = 64 * 1024;

export interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/**
 * One POST through node:http with its lenient parser; resolves with any status, rejects only when no
 * complete answer came (network, deadline). InfluxDB answers a refused line with `400` and echoes the
 * line in `X-Influxdb-Error`; a control byte there makes a strict parser fail before the status is
 * read, and a line refused for good would then look like an outage and be retried forever.
 */
export function post(url: URL, headers: Record<string, string>, body: Buffer, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const options = {
      method: 'POST',
      headers: { ...headers, 'content-length': String(body.length) },
      insecureHTTPParser: true,
      signal: AbortSignal.timeout(timeoutMs),
    };
    const req = send(url, options, (res) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      res.on('data', (chunk: Buffer) => {
        if (kept < MAX_ANSWER_BODY_BYTES) chunks.push(chunk);
        kept += chunk.length;
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).subarray(0, MAX_ANSWER_BODY_BYTES).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
