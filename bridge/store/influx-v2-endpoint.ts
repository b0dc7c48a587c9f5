import type { WriteApi } from '@influxdata/influxdb-client';
import { DEFAULT_GZIP_THRESHOLD_BYTES, gzipsTo, type WriteEndpoint } from './endpoint.ts';
import { errorText } from './influx-v1-endpoint.ts';
import { networkWriteError, parseRetryAfter, printable, reasonOfStatus, WriteError } from './write-error.ts';

/** Connection to InfluxDB 2.x, 3.x or 1.8+ (`/api/v2/write`; for 1.8 the bucket is `db/rp`). */
export interface InfluxV2Target {
  readonly url: string;
  readonly org: string;
  readonly bucket: string;
  /** API token; for 1.8 `user:password`. */
  readonly token?: string;
  /** Per-request deadline, milliseconds. */
  readonly timeoutMs: number;
  /** Largest number of lines ever passed to one send (the writer's batch size). */
  readonly maxLines: number;
  /** Gzip bodies of at least 1000 bytes; default: unless the database is on this host (`gzipsTo`). */
  readonly gzip?: boolean;
}

/**
 * The v2 write API through `@influxdata/influxdb-client`, used only for what it does well (HTTP,
 * token auth, gzip, error decoding). Its own buffering is switched off because of traps measured
 * here: with retries, `close()` resolves while dropping what waits for a retry, 404 is retried, and
 * `Retry-After` is read as milliseconds. So: no retries, no flush timer, a batch limit it never
 * reaches, and a writeFailed hook that returns the error (which also keeps the client from logging).
 * The client is loaded at the first send: a bridge without a v2 database never holds its code (a few
 * MB of RSS, docs/benchmarks.md "Bridge at rest").
 */
export class InfluxV2Endpoint implements WriteEndpoint {
  readonly description: string;
  private opened: Promise<Client> | undefined;

  constructor(
    private readonly target: InfluxV2Target,
    private readonly now: () => number = Date.now,
  ) {
    this.description = `InfluxDB v2 API ${target.url} org "${target.org}" bucket "${target.bucket}"`;
  }

  async send(lines: readonly string[]): Promise<void> {
    const client = await (this.opened ??= openClient(this.target));
    // writeRecords + flush take exactly these lines: flush() empties the client's buffer synchronously.
    client.api.writeRecords(lines as string[]);
    try {
      await client.api.flush();
    } catch (error) {
      throw this.toWriteError(client.module, error);
    }
  }

  private toWriteError(module: ClientModule, error: unknown): WriteError {
    if (error instanceof module.HttpError) {
      const retryAfter = error.headers?.['retry-after'];
      return new WriteError(
        reasonOfStatus(error.statusCode),
        `HTTP ${error.statusCode}: ${printable(errorText(error.body ?? '', error.message))}`,
        error.statusCode,
        parseRetryAfter(Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, this.now()),
      );
    }
    if (error instanceof module.RequestTimedOutError)
      return new WriteError('timeout', `No answer within ${this.target.timeoutMs} ms`);
    return networkWriteError(error, this.target.timeoutMs);
  }
}

type ClientModule = typeof import('@influxdata/influxdb-client');
interface Client {
  readonly module: ClientModule;
  readonly api: WriteApi;
}

async function openClient(target: InfluxV2Target): Promise<Client> {
  const module = await import('@influxdata/influxdb-client');
  // The lenient parser: InfluxDB 1.8 echoes a refused line in X-Influxdb-Error, and a control byte there
  // would otherwise hide the 400 behind a parse error (see InfluxV1Endpoint).
  const client = new module.InfluxDB({
    url: target.url,
    ...(target.token === undefined ? {} : { token: target.token }),
    timeout: target.timeoutMs,
    transportOptions: { insecureHTTPParser: true },
  });
  const api = client.getWriteApi(target.org, target.bucket, 's', {
    batchSize: target.maxLines + 1,
    maxBatchBytes: Number.MAX_SAFE_INTEGER,
    flushInterval: 0,
    maxRetries: 0,
    maxBufferLines: 1,
    gzipThreshold: (target.gzip ?? gzipsTo(target.url)) ? DEFAULT_GZIP_THRESHOLD_BYTES : Infinity,
    writeFailed: (error) => Promise.reject(error),
  });
  return { module, api };
}
