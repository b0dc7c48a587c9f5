import { gzipsTo, type WriteEndpoint } from './endpoint.ts';
import { writeBatch } from './influx-write.ts';
import { LineBatch } from './line-batch.ts';

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
  sendBatch(batch: LineBatch): Promise<void> {
    return writeBatch(this.writeUrl, this.auth, this.gzip, batch, this.target.timeoutMs, this.now);
  }
}
