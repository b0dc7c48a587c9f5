/**
 * Why a write failed: a closed set, each a label value of
 * `obsmon_bridge_storage_write_failures_total{reason}`.
 */
export const FAILURE_REASONS = [
  /** Connection refused, reset, host unreachable, name not resolved. */
  'unreachable',
  /** No answer within --influx-timeout. */
  'timeout',
  /** HTTP 5xx. */
  'server_error',
  /** HTTP 429. */
  'throttled',
  /** HTTP 400, 413 or 422: some lines of the batch are refused (bisected, then dead-lettered). */
  'rejected',
  /** HTTP 401 or 403: wrong token or credentials. */
  'unauthorized',
  /** HTTP 404: wrong URL, database or bucket. */
  'not_found',
  /** Any other HTTP status. */
  'unexpected_status',
  /**
   * The server answered, but not in HTTP this client can parse (e.g. a header echoing a refused
   * line's control byte): bisected like `rejected`, but a line is only given up on once the server
   * has proved it takes other lines.
   */
  'bad_response',
] as const;

export type FailureReason = (typeof FAILURE_REASONS)[number];

/**
 * A failed write that decides its own handling. Only `rejected` is about the lines; everything else
 * is about the server or the configuration, so the lines are kept (spooled) and retried with backoff
 * until the operator or the network fixes it, whatever the status code.
 */
export class WriteError extends Error {
  constructor(
    readonly reason: FailureReason,
    message: string,
    readonly status?: number,
    /** Server's Retry-After, milliseconds. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'WriteError';
  }

  /** False only for line problems: retrying the same lines would fail the same way. */
  canRetry(): boolean {
    return this.reason !== 'rejected';
  }
}

/** Failure reason of an HTTP status that is not 2xx. */
export function reasonOfStatus(status: number): FailureReason {
  if (status === 400 || status === 413 || status === 422) return 'rejected';
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 404) return 'not_found';
  if (status === 408) return 'timeout';
  if (status === 429) return 'throttled';
  if (status >= 500) return 'server_error';
  return 'unexpected_status';
}

/**
 * `Retry-After` in milliseconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3). The influx client
 * reads the number as milliseconds, so the bridge parses it itself.
 */
export function parseRetryAfter(header: string | null | undefined, nowMs: number): number | undefined {
  if (header === undefined || header === null || header.trim() === '') return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

/** A thrown network-level error (fetch, node:http, the influx client) as a WriteError. */
export function networkWriteError(error: unknown, timeoutMs: number): WriteError {
  const e = error as
    | { name?: string; code?: unknown; message?: string; cause?: { name?: string; code?: unknown; message?: string } }
    | undefined;
  const code = typeof e?.code === 'string' ? e.code : typeof e?.cause?.code === 'string' ? e.cause.code : undefined;
  // node:http aborted by AbortSignal.timeout(): an AbortError whose cause is the TimeoutError.
  const timedOut =
    e?.name === 'TimeoutError' || e?.name === 'RequestTimedOutError' || e?.cause?.name === 'TimeoutError';
  if (timedOut || code === 'ETIMEDOUT' || code === 'ESOCKETTIMEDOUT' || code === 'UND_ERR_HEADERS_TIMEOUT') {
    return new WriteError('timeout', `No answer within ${timeoutMs} ms`);
  }
  const detail = printable(e?.cause?.message ?? e?.message ?? String(error));
  // llhttp's codes (node:http, undici): bytes came back, so the server is there; its answer is the problem.
  if (code?.startsWith('HPE_') === true)
    return new WriteError('bad_response', `Unparsable answer (${code}: ${detail})`);
  return new WriteError('unreachable', code === undefined ? detail : `${code}: ${detail}`);
}

/** Control bytes (a refused line may carry them into an error message) as `\xNN`, so a log line stays one line. */
export function printable(text: string): string {
  return text.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}
