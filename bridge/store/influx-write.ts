import { gzipSync } from 'node:zlib';
import { DEFAULT_GZIP_THRESHOLD_BYTES, GZIP_LEVEL } from './endpoint.ts';
import { post, type Answer } from './http-post.ts';
import type { LineBatch } from './line-batch.ts';
import { networkWriteError, parseRetryAfter, printable, reasonOfStatus, WriteError } from './write-error.ts';

/**
 * One write request of InfluxDB's line-protocol API, the same for v1 (`/write`) and v2 (`/api/v2/write`):
 * the batch's bytes as the body (gzipped when asked and worth it), any 2xx is success, anything else
 * a WriteError classified by status.
 */
export async function writeBatch(
  url: URL,
  auth: Record<string, string>,
  gzip: boolean,
  batch: LineBatch,
  timeoutMs: number,
  now: () => number,
): Promise<void> {
  const bytes = batch.body();
  const zipped = gzip && bytes.length >= DEFAULT_GZIP_THRESHOLD_BYTES;
  const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8', ...auth };
  if (zipped) headers['content-encoding'] = 'gzip';
  let answer: Answer;
  try {
    answer = await post(url, headers, zipped ? gzipSync(bytes, { level: GZIP_LEVEL }) : bytes, timeoutMs);
  } catch (error) {
    throw networkWriteError(error, timeoutMs);
  }
  if (answer.status >= 200 && answer.status < 300) return;
  throw answerError(answer, now());
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
