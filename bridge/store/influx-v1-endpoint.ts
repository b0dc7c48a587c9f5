import { gzipSync } from 'node:zlib';
import { DEFAULT_GZIP_THRESHOLD_BYTES, type WriteEndpoint } from './endpoint.ts';
import { networkWriteError, parseRetryAfter, reasonOfStatus, WriteError } from './write-error.ts';

/** Connection to an InfluxDB 1.x database (`/write?db=`), for sites still on 1.x. */
export interface InfluxV1Target {
  /** Base URL, e.g. `http://127.0.0.1:8086`. */
  readonly url: string;
  readonly db: string;
  /** Retention policy; the database's default when absent. */
  readonly rp?: string;
  readonly user?: string;
  readonly password?: string;
  /** Per-request deadline, milliseconds. */
  readonly timeoutMs: number;
}

/** Basic auth for 1.x (accepted since 1.0), so credentials stay out of URLs and logs. */
export function basicAuth(user: string | undefined, password: string | undefined): Record<string, string> {
  if (user === undefined) return {};
  return { authorization: `Basic ${Buffer.from(`${user}:${password ?? ''}`).toString('base64')}` };
}

/** The v1 write API through Node's fetch: `POST /write?db=&rp=&precision=s`. */
export class InfluxV1Endpoint implements WriteEndpoint {
  readonly description: string;
  private readonly writeUrl: string;

  constructor(
    private readonly target: InfluxV1Target,
    private readonly now: () => number = Date.now,
  ) {
    const url = new URL('write', target.url.endsWith('/') ? target.url : `${target.url}/`);
    url.searchParams.set('db', target.db);
    if (target.rp !== undefined) url.searchParams.set('rp', target.rp);
    url.searchParams.set('precision', 's');
    this.writeUrl = url.toString();
    this.description = `InfluxDB 1.x ${target.url} db "${target.db}"${target.rp === undefined ? '' : ` rp "${target.rp}"`}`;
  }

  async send(lines: readonly string[]): Promise<void> {
    const text = lines.join('\n');
    const gzip = text.length >= DEFAULT_GZIP_THRESHOLD_BYTES;
    const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8', ...basicAuth(this.target.user, this.target.password) };
    if (gzip) headers['content-encoding'] = 'gzip';
    let response: Response;
    try {
      response = await fetch(this.writeUrl, {
        method: 'POST',
        headers,
        body: gzip ? gzipSync(text) : text,
        signal: AbortSignal.timeout(this.target.timeoutMs),
      });
    } catch (error) {
      throw networkWriteError(error, this.target.timeoutMs);
    }
    let body: string;
    try {
      body = await response.text();
    } catch (error) {
      throw networkWriteError(error, this.target.timeoutMs);
    }
    if (response.ok) return;
    throw new WriteError(
      reasonOfStatus(response.status),
      `HTTP ${response.status}: ${errorText(body, response.headers.get('x-influxdb-error'))}`,
      response.status,
      parseRetryAfter(response.headers.get('retry-after'), this.now()),
    );
  }
}

/** InfluxDB 1.x answers `{"error":"..."}`; 2.x `{"code":"...","message":"..."}`. */
export function errorText(body: string, headerError?: string | null): string {
  try {
    const json = JSON.parse(body) as { error?: unknown; message?: unknown };
    if (typeof json.error === 'string') return json.error;
    if (typeof json.message === 'string') return json.message;
  } catch {
    // Not JSON: a proxy's HTML page or plain text.
  }
  return headerError ?? (body.trim().slice(0, 500) || '(empty body)');
}
