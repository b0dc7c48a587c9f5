import { gzipsTo, type WriteEndpoint } from './endpoint.ts';
import { writeBatch } from './influx-write.ts';
import { LineBatch } from './line-batch.ts';

/** Connection to InfluxDB 2.x, 3.x or 1.8+ (`/api/v2/write`; for 1.8 the bucket is `db/rp`). */
export interface InfluxV2Target {
  readonly url: string;
  readonly org: string;
  readonly bucket: string;
  /** API token; for 1.8 `user:password`. */
  readonly token?: string;
  /** Per-request deadline, milliseconds. */
  readonly timeoutMs: number;
  /** Largest number of lines ever passed to one send (the writer's batch size); a request takes any number. */
  readonly maxLines: number;
  /** Gzip bodies of at least 1000 bytes; default: unless the database is on this host (`gzipsTo`). */
  readonly gzip?: boolean;
}

/**
 * The v2 write API: `POST /api/v2/write?org=&bucket=&precision=s` with `Authorization: Token …`,
 * through node:http as for 1.x (the same lenient parser, answer decoding and Retry-After in seconds).
 * The batch's bytes are the body as they are. `@influxdata/influxdb-client` used to do this: it took
 * strings (its buffer, its join, its copy into bytes: most of the writer's cost per point to
 * VictoriaMetrics), and its own buffering and retries had to be switched off for their traps (with
 * retries `close()` dropped what waited for one, 404 was retried, Retry-After read as milliseconds).
 */
export class InfluxV2Endpoint implements WriteEndpoint {
  readonly description: string;
  private readonly writeUrl: URL;
  private readonly gzip: boolean;
  private readonly auth: Record<string, string>;

  constructor(
    private readonly target: InfluxV2Target,
    private readonly now: () => number = Date.now,
  ) {
    const url = new URL('api/v2/write', target.url.endsWith('/') ? target.url : `${target.url}/`);
    url.searchParams.set('org', target.org);
    url.searchParams.set('bucket', target.bucket);
    url.searchParams.set('precision', 's');
    this.writeUrl = url;
    this.gzip = target.gzip ?? gzipsTo(target.url);
    this.auth = target.token === undefined ? {} : { authorization: `Token ${target.token}` };
    this.description = `InfluxDB v2 API ${target.url} org "${target.org}" bucket "${target.bucket}"`;
  }

  send(lines: readonly string[]): Promise<void> {
    return this.sendBatch(LineBatch.of(lines));
  }

  sendBatch(batch: LineBatch): Promise<void> {
    return writeBatch(this.writeUrl, this.auth, this.gzip, batch, this.target.timeoutMs, this.now);
  }
}
