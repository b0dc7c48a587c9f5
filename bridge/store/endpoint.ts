import { isIPv4 } from 'node:net';
import type { LineBatch } from './line-batch.ts';

/** One HTTP write of line-protocol lines to a database; no batching, no retry, no buffering. */
export interface WriteEndpoint {
  /** Human-readable target for logs, e.g. `InfluxDB 1.x http://db:8086 db "obsmon"`. */
  readonly description: string;
  /** Resolves when the server took every line (2xx); rejects with a WriteError otherwise. */
  send(lines: readonly string[]): Promise<void>;
  /**
   * The same for lines already encoded: an endpoint that posts line protocol as it is takes the
   * batch's bytes as the body, with no string in between. Without it the writer hands over `lines()`.
   */
  sendBatch?(batch: LineBatch): Promise<void>;
}

/** Send `batch` through the endpoint's byte path when it has one. */
export function sendBatch(endpoint: WriteEndpoint, batch: LineBatch): Promise<void> {
  return endpoint.sendBatch === undefined ? endpoint.send(batch.lines()) : endpoint.sendBatch(batch);
}

/** Bodies at least this long are gzipped (InfluxDB 1.x and 2.x accept `Content-Encoding: gzip`). */
export const DEFAULT_GZIP_THRESHOLD_BYTES = 1000;

/**
 * zlib's fastest level: line protocol shrinks to about a quarter either way (level 6: a fifth), at a
 * third of level 6's CPU, which was most of the writer's cost per point.
 */
export const GZIP_LEVEL = 1;

/**
 * Whether bodies to `url` are gzipped: not to a database on this host (loopback), where compressing
 * saves no network and costs CPU twice (here to pack, in the database to unpack).
 */
export function gzipsTo(url: string): boolean {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return true;
  }
  const loopback =
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host === '[::1]' ||
    (isIPv4(host) && host.startsWith('127.'));
  return !loopback;
}
