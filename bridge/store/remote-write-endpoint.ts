import type { WriteEndpoint } from './endpoint.ts';
import { sampleLinesToSeries } from './sample-lines.ts';
import { encodeWriteRequest } from './write-request.ts';
import { networkWriteError, parseRetryAfter, reasonOfStatus, WriteError } from './write-error.ts';

/** A Prometheus remote-write receiver: Prometheus ≥ 2.33 (`/api/v1/write`), VictoriaMetrics, Mimir, Thanos... */
export interface RemoteWriteTarget {
  /** Full write URL, e.g. `http://prometheus:9090/api/v1/write`. */
  readonly url: string;
  /** `Bearer <token>` or `Basic <base64>`, when the receiver wants one. */
  readonly authorization?: string;
  /** Per-request deadline, milliseconds. */
  readonly timeoutMs: number;
}

const TOO_OLD = /too old sample/i;

/**
 * Remote write 1.0: the spool's sample lines as a protobuf `WriteRequest`, snappy block format,
 * `POST` with the protocol's headers. The answer is classified as for InfluxDB (write-error.ts): a
 * 400 (Prometheus: out of order, out of bounds, duplicate with another value) refuses the batch's
 * content, so the writer bisects it to the refused samples and dead-letters them; 5xx, 429 and
 * network errors keep the batch for a retry.
 */
export class RemoteWriteEndpoint implements WriteEndpoint {
  readonly description: string;

  constructor(
    private readonly target: RemoteWriteTarget,
    private readonly now: () => number = Date.now,
  ) {
    this.description = `Prometheus remote write ${target.url}`;
  }

  async send(lines: readonly string[]): Promise<void> {
    // Loaded on first use: the native addon and its thread pool cost ~7 MB of RSS a bridge without
    // remote write never needs.
    const { compressSync } = await import('snappy');
    const { series, unreadable } = sampleLinesToSeries(lines);
    // Only a damaged spool file can hold such a line; refusing the batch isolates it into the dead letter.
    if (unreadable.length > 0)
      throw new WriteError('rejected', `Unreadable sample line "${unreadable[0]!.slice(0, 200)}"`);
    const headers: Record<string, string> = {
      'content-type': 'application/x-protobuf',
      'content-encoding': 'snappy',
      'x-prometheus-remote-write-version': '0.1.0',
      'user-agent': 'obsmon-bridge',
    };
    if (this.target.authorization !== undefined) headers['authorization'] = this.target.authorization;
    let response: Response;
    let body: string;
    try {
      response = await fetch(this.target.url, {
        method: 'POST',
        headers,
        body: compressSync(encodeWriteRequest(series)),
        signal: AbortSignal.timeout(this.target.timeoutMs),
      });
      body = await response.text();
    } catch (error) {
      throw networkWriteError(error, this.target.timeoutMs);
    }
    if (response.ok) return;
    throw new WriteError(
      // Prometheus 2.39–2.4x answers 500 for a sample older than its out_of_order_time_window: about
      // the sample, not the server, so it must be isolated and set aside, not retried forever.
      TOO_OLD.test(body) ? 'rejected' : reasonOfStatus(response.status),
      `HTTP ${response.status}: ${body.trim().slice(0, 500) || '(empty body)'}`,
      response.status,
      parseRetryAfter(response.headers.get('retry-after'), this.now()),
    );
  }
}
