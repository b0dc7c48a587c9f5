/** One HTTP write of line-protocol lines to a database; no batching, no retry, no buffering. */
export interface WriteEndpoint {
  /** Human-readable target for logs, e.g. `InfluxDB 1.x http://db:8086 db "obsmon"`. */
  readonly description: string;
  /** Resolves when the server took every line (2xx); rejects with a WriteError otherwise. */
  send(lines: readonly string[]): Promise<void>;
}

/** Bodies at least this long are gzipped (InfluxDB 1.x and 2.x accept `Content-Encoding: gzip`). */
export const DEFAULT_GZIP_THRESHOLD_BYTES = 1000;
