import { sendBatch, type WriteEndpoint } from './endpoint.ts';
import { LineBatch } from './line-batch.ts';
import { networkWriteError, WriteError, type FailureReason } from './write-error.ts';

export interface DeliveryObserver {
  /** A request the database acknowledged, with its duration in seconds. */
  written(points: number, seconds: number): void;
  failed(error: WriteError, seconds: number): void;
  /** Lines refused for good, with the server's reason. */
  deadLetter(lines: readonly string[], reason: string): void;
}

export interface DeliveryOptions {
  /**
   * Retryable reasons to treat as possibly caused by the lines: the batch is bisected, and a single
   * line failing so is dead-lettered only once the server has proved it takes other lines (another
   * part of the batch written or refused with a status, or `probe`). Without that proof the failure
   * is thrown and the caller keeps the whole batch. `bad_response` is always suspect.
   */
  readonly suspect?: ReadonlySet<FailureReason>;
  /** Re-sends a line the server took before (idempotent); true when it is taken again. Asked only when no part of the batch proved the server. */
  readonly probe?: () => Promise<boolean>;
}

/**
 * Write `lines`, isolating refused ones: when the server refuses a batch because of its content
 * (InfluxDB 1.6 answers 400 for a parse error or a field type conflict, and says neither which line
 * nor whether the rest was written), both halves are sent again, down to single lines, which go to
 * the dead letter. Re-sending the good lines is harmless: a point with the same series and time
 * overwrites itself. Costs about 2·log2(n) requests per refused line. Any other failure is thrown as
 * a retryable WriteError and the caller keeps the whole batch.
 */
export async function deliver(
  endpoint: WriteEndpoint,
  lines: LineBatch | readonly string[],
  observer: DeliveryObserver,
  options: DeliveryOptions = {},
): Promise<void> {
  const batch = lines instanceof LineBatch ? lines : LineBatch.of(lines);
  if (batch.count === 0) return;
  // A server that garbles every answer (a URL pointing at something that is not InfluxDB) would cost
  // 2n requests per retry; a bad line is found within about one path of the bisection.
  const budget = 2 * Math.ceil(Math.log2(batch.count)) + 2;
  const state: Attempt = { suspect: options.suspect, probe: options.probe, proven: false, unproven: [], budget };
  await attempt(endpoint, batch, observer, state);
  if (state.unproven.length === 0) return;
  if (!state.proven) await prove(state);
  // Nothing of the batch got through and the server did not prove itself: it, not a line, is the problem.
  if (!state.proven) throw state.unproven[0]!.error;
  for (const { line, error } of state.unproven) observer.deadLetter([line], error.message);
}

interface Attempt {
  readonly suspect: ReadonlySet<FailureReason> | undefined;
  /** Asked at most once; cleared when used. */
  probe: (() => Promise<boolean>) | undefined;
  /** The server answered another part of this batch properly: a suspect failure is about the lines. */
  proven: boolean;
  /** Single lines that failed for a suspect reason, waiting for that proof. */
  readonly unproven: Array<{ line: string; error: WriteError }>;
  /** Suspect failures still allowed before any proof. */
  budget: number;
}

async function attempt(
  endpoint: WriteEndpoint,
  lines: LineBatch,
  observer: DeliveryObserver,
  state: Attempt,
): Promise<void> {
  const started = performance.now();
  let error: WriteError;
  try {
    await sendBatch(endpoint, lines);
    observer.written(lines.count, (performance.now() - started) / 1000);
    state.proven = true;
    return;
  } catch (thrown) {
    error = thrown instanceof WriteError ? thrown : networkWriteError(thrown, 0);
    observer.failed(error, (performance.now() - started) / 1000);
  }
  const suspect = error.reason === 'bad_response' || state.suspect?.has(error.reason) === true;
  if (error.canRetry() && !suspect) throw error;
  if (!error.canRetry()) state.proven = true;
  else if (!state.proven && (state.budget -= 1) < 0 && !(await prove(state))) throw error;
  if (lines.count === 1) {
    if (suspect) state.unproven.push({ line: lines.line(0), error });
    else observer.deadLetter([lines.line(0)], error.message);
    return;
  }
  const middle = Math.ceil(lines.count / 2);
  await attempt(endpoint, lines.slice(0, middle), observer, state);
  await attempt(endpoint, lines.slice(middle), observer, state);
}

async function prove(state: Attempt): Promise<boolean> {
  const probe = state.probe;
  state.probe = undefined;
  if (probe !== undefined) state.proven = (await probe()) === true;
  return state.proven;
}
