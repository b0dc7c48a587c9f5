import type { WriteEndpoint } from './endpoint.ts';
import { networkWriteError, WriteError } from './write-error.ts';

export interface DeliveryObserver {
  /** A request the database acknowledged, with its duration in seconds. */
  written(points: number, seconds: number): void;
  failed(error: WriteError, seconds: number): void;
  /** Lines refused for good, with the server's reason. */
  deadLetter(lines: readonly string[], reason: string): void;
}

/**
 * Write `lines`, isolating refused ones: when the server refuses a batch because of its content
 * (InfluxDB 1.6 answers 400 for a parse error or a field type conflict, and says neither which line
 * nor whether the rest was written), both halves are sent again, down to single lines, which go to
 * the dead letter. Re-sending the good lines is harmless: a point with the same series and time
 * overwrites itself. Costs about 2·log2(n) requests per refused line. Any other failure is thrown as
 * a retryable WriteError and the caller keeps the whole batch.
 */
export async function deliver(endpoint: WriteEndpoint, lines: readonly string[], observer: DeliveryObserver): Promise<void> {
  if (lines.length === 0) return;
  const started = performance.now();
  try {
    await endpoint.send(lines);
    observer.written(lines.length, (performance.now() - started) / 1000);
    return;
  } catch (thrown) {
    const error = thrown instanceof WriteError ? thrown : networkWriteError(thrown, 0);
    observer.failed(error, (performance.now() - started) / 1000);
    if (error.canRetry()) throw error;
    if (lines.length === 1) {
      observer.deadLetter(lines, error.message);
      return;
    }
    const middle = Math.ceil(lines.length / 2);
    await deliver(endpoint, lines.slice(0, middle), observer);
    await deliver(endpoint, lines.slice(middle), observer);
  }
}
