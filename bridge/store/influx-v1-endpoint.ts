import { gzipSync } from 'node:zlib';
import { DEFAULT_GZIP_THRESHOLD_BYTES, GZIP_LEVEL, gzipsTo, type WriteEndpoint } from './endpoint.ts';
import { post, type Answer } from './http-post.ts';
import { LineBatch } from './line-batch.ts';
import { networkWriteError, parseRetryAfter, printable, reasonOfStatus, WriteError } from './write-error.ts';

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
  /** Gzip bodies of at least 1000 bytes; default: unless the database is on this host (`gzipsTo`). */
  readonly gzip?: boolean;
}

/** Basic auth for 1.x (accepted since 1.0), so credentials stay out of URLs and logs. */
export function basicAuth(user: string | undefined, password: string | undefined): Record<string, string> {
  if (user === undefined) return {};
  return { authorization: `Basic ${Buffer.from(`${user}:${password ?? ''}`).toString('base64')}` };
}

/**
 * The v1 write API: `POST /write?db=&rp=&precision=s` through node:http with its lenient parser.
 * InfluxDB answers a refused line with `400` and echoes the line in `X-Influxdb-Error`; a control
 * byte there makes a strict parser (fetch, node:http's default) fail before the status is read, and a
 * line refused for good would then look like an outage and be retried forever.
 */
export class InfluxV1Endpoint implements WriteEndpoint {
  readonly description: string;
  private readonly writeUrl: URL;
  private readonly gzip: boolean;
  /** The same for every request. */
  private readonly auth: Record<string, string>;

  constructor(
    private readonly target: InfluxV1Target,
    private readonly now: () => number = Date.now,
  ) {
    const url = new URL('write', target.url.endsWith('/') ? target.url : `${target.url}/`);
    url.searchParams.set('db', target.db);
    if (target.rp !== undefined) url.searchParams.set('rp', target.rp);
    url.searchParams.set('precision', 's');
    this.writeUrl = url;
    this.gzip = target.gzip ?? gzipsTo(target.url);
    this.auth = basicAuth(target.user, target.password);
    this.description = `InfluxDB 1.x ${target.url} db "${target.db}"${target.rp === undefined ? '' : ` rp "${target.rp}"`}`;
  }

  send(lines: readonly string[]): Promise<void> {
    return this.sendBatch(LineBatch.of(lines));
  }

  /** The batch's bytes are the body as they are (no string, no copy), gzipped only off this host. */
  async sendBatch(batch: LineBatch): Promise<void> {
    const bytes = batch.body();
    const gzip = this.gzip && bytes.length >= DEFAULT_GZIP_THRESHOLD_BYTES;
    const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8', ...this.auth };
    if (gzip) headers['content-encoding'] = 'gzip';
    let answer: Answer;
    try {
      answer = await post(
        this.writeUrl,
        headers,
        gzip ? gzipSync(bytes, { level: GZIP_LEVEL }) : bytes,
        this.target.timeoutMs,
      );
    } catch (error) {
      throw networkWriteError(error, this.target.timeoutMs);
    }
    if (answer.status >= 200 && answer.status < 300) return;
    throw answerError(answer, this.now());
  }
}

/** A non-2xx answer of InfluxDB's write API (v1 or v2) as a WriteError. */
export function answerError(answer: Answer, nowMs: number): WriteError {
  const headerError = answer.headers['x-influxdb-error'];
  return new WriteError(
    reasonOfStatus(answer.status),
    `HTTP ${answer.status}: ${printable(errorText(answer.body, typeof headerError === 'string' ? headerError : undefined))}`,
    answer.status,
    parseRetryAfter(firstHeader(answer.headers['retry-after']), nowMs),
  );
}

function firstHeader(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
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
