import { Backoff } from '../../lib/backoff.ts';
import type { Logger } from '../../lib/logger.ts';
import { RateLimitedLog } from '../../lib/rate-limited-log.ts';
import { deliver, type DeliveryObserver } from './deliver.ts';
import type { WriteEndpoint } from './endpoint.ts';
import { LineBatch, LineBatchBuilder } from './line-batch.ts';
import { spoolBatchOfBytes, type Spool, type SpoolBatch } from './spool.ts';
import { WriteError, type FailureReason } from './write-error.ts';

/** Lines per write request (--influx-batch-size). */
export const DEFAULT_BATCH_SIZE = 5000;
/** Longest wait before a buffered line is sent, ms (--influx-flush-interval). */
export const DEFAULT_FLUSH_INTERVAL_MS = 1000;
/** Spool appends are fsync'd together this often, ms (--spool-fsync-interval). */
export const DEFAULT_FSYNC_INTERVAL_MS = 500;
/** Retry delays while the database fails: doubling from the first to the cap, jittered. */
export const DEFAULT_RETRY_INITIAL_MS = 250;
export const DEFAULT_RETRY_MAX_MS = 5000;
/** A server's Retry-After is honoured up to this, ms. */
export const MAX_RETRY_AFTER_MS = 300_000;
/**
 * The oldest spooled batch failing this many times in a row for the same reason, a reason for which
 * the server did answer, is bisected as possibly caused by its lines (see `deliver`): one line a
 * server chokes on must not hold the spool, and with it every later report, forever.
 */
export const REPEATED_FAILURES = 3;
/**
 * Requests in flight while the spool drains: as many as live writing and draining together have, so
 * a backlog drains at least as fast as the database takes live writes (one alone drained slower).
 */
export const DRAIN_IN_FLIGHT = 2;
/** Reasons where the server answered (unlike unreachable or timeout), so the lines may be the cause. */
const ANSWERED: ReadonlySet<FailureReason> = new Set<FailureReason>([
  'server_error',
  'unexpected_status',
  'bad_response',
]);

export interface SpoolingWriterOptions {
  readonly batchSize: number;
  readonly flushIntervalMs: number;
  readonly fsyncIntervalMs: number;
  readonly retryInitialMs: number;
  readonly retryMaxMs: number;
  /** What to check when the target refuses the configuration (401, 403, 404); default: the InfluxDB flags. */
  readonly configHint?: string;
}

export interface SpoolingWriterEvents extends DeliveryObserver {
  /** The database answered (true) or failed with a retryable error (false). */
  up(isUp: boolean): void;
  /** Lines taken after close. */
  droppedAtShutdown(points: number): void;
}

/**
 * The bridge's durability, not the client's: live lines are batched (size and time) and written
 * with one request in flight. A retryable failure moves the batch to the spool and switches to
 * outage mode, where batches go straight to the spool. A drain loop writes the spool oldest first,
 * probing with backoff while the database is away; once a write succeeds live writes resume at
 * once, so fresh values are visible while the backlog drains behind them.
 *
 * Lines become bytes once, at `write()`: each goes into the open batch's buffer (LineBatch), which
 * is the request body as it is, or what the spool appends; strings do not wait for a flush or an
 * fsync (long enough to be promoted by the garbage collector and copied again later).
 */
export class SpoolingWriter {
  /** Full batches waiting (oldest first), then the one being filled. */
  private readonly full: LineBatch[] = [];
  private readonly open: LineBatchBuilder;
  /** Lines in `full` and `open`. */
  private bufferedLines = 0;
  private isUp = true;
  private closed = false;
  private live: Promise<void> | undefined;
  /** Lines of the live request in flight. */
  private liveLines = 0;
  private readonly drainLoop: Promise<void>;
  /** Resolves the drain loop's wait for new spooled lines. */
  private wakeIdle: (() => void) | undefined;
  /** Ends the drain loop's backoff sleep early; only close() uses it. */
  private cancelSleep: (() => void) | undefined;
  private lastRetryAfterMs: number | undefined;
  private lastError: unknown;
  /** Set by every append; lets the drain loop notice lines that came while it was reading. */
  private appended = false;
  private readonly backoff: Backoff;
  private readonly problems: RateLimitedLog;
  private readonly timers: NodeJS.Timeout[];
  private unsynced = false;
  /** A line the database took: re-sending it (idempotent) proves the database takes lines. */
  private lastGood: LineBatch | undefined;
  /** The oldest spooled batch's consecutive failures for one reason. */
  private headFailures = { segment: -1, start: -1, reason: undefined as FailureReason | undefined, count: 0 };

  constructor(
    private readonly endpoint: WriteEndpoint,
    private readonly spool: Spool,
    private readonly events: SpoolingWriterEvents,
    private readonly log: Logger,
    private readonly options: SpoolingWriterOptions,
  ) {
    this.backoff = new Backoff({ initialMs: options.retryInitialMs, maxMs: options.retryMaxMs });
    // A standard report's line is about 80 bytes; the buffer is sized after the last batch from then on.
    this.open = new LineBatchBuilder(Math.min(options.batchSize, 5000) * 96);
    this.problems = new RateLimitedLog({ ...log, warn: (m) => log.error(m) });
    this.timers = [
      setInterval(() => this.flushLive(), options.flushIntervalMs),
      // A failure is logged and counted by the spool; the next interval or flush tries again.
      setInterval(() => {
        if (this.unsynced) this.syncSpool().catch(() => {});
      }, options.fsyncIntervalMs),
    ];
    for (const timer of this.timers) timer.unref();
    this.drainLoop = this.drain();
  }

  /** Points taken and not yet acknowledged by the database (memory and spool). */
  get pending(): number {
    return this.bufferedLines + this.liveLines + this.spool.stats().points;
  }

  /** Take line-protocol lines; never throws, never waits. */
  write(lines: readonly string[]): void {
    if (this.closed) {
      this.events.droppedAtShutdown(lines.length);
      return;
    }
    // In an outage the spool is the next stop anyway: going there at once leaves only the un-fsync'd
    // tail, not a flush interval of reports, to a SIGKILL.
    if (!this.isUp) {
      this.toSpool(lines);
      return;
    }
    for (const line of lines) {
      this.open.add(line);
      if (this.open.count >= this.options.batchSize) this.full.push(this.open.take());
    }
    this.bufferedLines += lines.length;
    if (this.full.length > 0) this.flushLive();
  }

  /** The oldest waiting batch (a full one, else what the open one holds), taken out of the buffer. */
  private nextBatch(): LineBatch {
    const batch = this.full.shift() ?? this.open.take();
    this.bufferedLines -= batch.count;
    return batch;
  }

  /** Every waiting line, oldest first, taken out of the buffer. */
  private allBuffered(): LineBatch[] {
    const all = [...this.full.splice(0), this.open.take()];
    this.bufferedLines = 0;
    return all;
  }

  /** Spool batches taken from the buffer, never sent: handed over, the spool keeps their buffers (no copy). */
  private spoolBatches(batches: readonly LineBatch[]): void {
    for (const batch of batches) this.toSpool(batch, true);
  }

  /**
   * Rejects when the spool could not make its lines durable (disk full, I/O error): the durability
   * barrier then withholds acknowledgements. Always waits for the spool, even with nothing new:
   * an fsync started by the timer may still be running, and it covers lines taken before this call.
   */
  async flush(): Promise<void> {
    while (this.bufferedLines > 0 || this.live !== undefined) {
      this.flushLive();
      await this.live;
    }
    await this.syncSpool();
  }

  /** Flush, stop retrying, make the spool durable. Lines taken later are dropped and counted. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    this.wakeIdle?.();
    this.cancelSleep?.();
    await this.live;
    // One last attempt while the database is up; whatever fails stays in the spool for the next start.
    while (this.bufferedLines > 0) {
      const batch = this.nextBatch();
      if (!this.isUp || !(await this.tryWrite(batch))) this.spoolBatches([batch, ...this.allBuffered()]);
    }
    await this.drainLoop;
    if (!this.spool.durable) await this.lastDrain();
    await this.spool.close();
  }

  /** Without a spool directory, memory is all there is: write it out now or count it lost. */
  private async lastDrain(): Promise<void> {
    for (
      let batch = await this.spool.read(this.options.batchSize);
      batch !== undefined && this.isUp;
      batch = await this.spool.read(this.options.batchSize)
    ) {
      if (!(await this.tryWrite(batch.batch))) break;
      this.spool.ack(batch);
    }
    const lost = this.spool.stats().points;
    if (lost > 0) {
      this.events.droppedAtShutdown(lost);
      this.log.error(
        `Lost ${lost} points that the database did not take: no --spool-dir to keep them across the restart`,
      );
    }
  }

  private flushLive(): void {
    if (this.bufferedLines === 0) return;
    if (!this.isUp || this.closed) {
      this.spoolBatches(this.allBuffered());
      return;
    }
    if (this.live !== undefined) {
      // A slow database: keep the newest batch waiting in memory (and the one being filled), spool
      // the older ones rather than grow.
      if (this.bufferedLines > 4 * this.options.batchSize && this.full.length > 1) {
        const older = this.full.splice(0, this.full.length - 1);
        for (const batch of older) this.bufferedLines -= batch.count;
        this.spoolBatches(older);
      }
      return;
    }
    const batch = this.nextBatch();
    this.liveLines = batch.count;
    this.live = this.tryWrite(batch)
      .then((ok) => {
        // Answered: its bytes were all read, its buffer goes to the pool. After a failure (a
        // timeout, say) a socket may still hold them: the spool copies them, the buffer is left be.
        if (ok) this.open.recycle(batch);
        else this.toSpool(batch);
      })
      .finally(() => {
        this.live = undefined;
        this.liveLines = 0;
        if (this.full.length > 0) this.flushLive();
      });
  }

  /** True when written (or dead-lettered); false after a retryable failure. */
  private async tryWrite(lines: LineBatch, suspect?: FailureReason): Promise<boolean> {
    try {
      await deliver(this.endpoint, lines, this.events, {
        ...(suspect === undefined ? {} : { suspect: new Set([suspect]) }),
        probe: () => this.probe(),
      });
      // A copy: the batch's buffer (thousands of lines) is not kept for one line.
      if (lines.count > 0) this.lastGood = lines.slice(lines.count - 1).copy();
      this.setUp(true);
      return true;
    } catch (error) {
      this.lastError = error;
      this.setUp(false, error);
      return false;
    }
  }

  private async probe(): Promise<boolean> {
    if (this.lastGood === undefined) return false;
    try {
      await deliver(this.endpoint, this.lastGood, this.events);
      return true;
    } catch {
      return false;
    }
  }

  /** The reason to treat as suspect for this spooled batch: the one it failed with REPEATED_FAILURES times in a row. */
  private suspectFor(position: SpoolBatch['position']): FailureReason | undefined {
    const f = this.headFailures;
    const same = f.segment === position.segment && f.start === position.start;
    return same && f.count >= REPEATED_FAILURES && f.reason !== undefined && ANSWERED.has(f.reason)
      ? f.reason
      : undefined;
  }

  private noteHeadFailure(position: SpoolBatch['position']): void {
    const reason = this.lastError instanceof WriteError ? this.lastError.reason : undefined;
    const f = this.headFailures;
    if (f.segment === position.segment && f.start === position.start && f.reason === reason) f.count += 1;
    else this.headFailures = { segment: position.segment, start: position.start, reason, count: 1 };
  }

  private async drain(): Promise<void> {
    while (!this.closed) {
      let delay = 0;
      try {
        this.appended = false;
        const size = this.options.batchSize;
        const batch = await this.spool.read(DRAIN_IN_FLIGHT * size);
        if (batch === undefined) {
          // Checked in the same tick as the wait starts, so neither an append nor close() can slip in between.
          if (this.appended) continue;
          if (this.closed) break;
          await new Promise<void>((resolve) => (this.wakeIdle = resolve));
          this.wakeIdle = undefined;
          continue;
        }
        const suspect = this.suspectFor(batch.position);
        // While the database answers, a batch's worth of requests at once; a probe of a database
        // that is away, or the bisection of a suspect head, one request.
        const parts = this.isUp && suspect === undefined ? Math.ceil(batch.batch.count / size) : 1;
        const sent = await Promise.all(
          Array.from({ length: parts }, (_, i) => this.tryWrite(batch.batch.slice(i * size, (i + 1) * size), suspect)),
        );
        // Acknowledge the written prefix: a later part written before an earlier one failed is sent
        // again with it (re-sending a point only overwrites it).
        let written = 0;
        while (written < parts && sent[written] === true) written += 1;
        const { segment, start } = batch.position;
        const end = Math.min(start + written * size, batch.position.end);
        if (written > 0) this.spool.ack(spoolBatchOfBytes(batch.batch.slice(0, end - start), { segment, start, end }));
        if (written === parts) this.backoff.reset();
        else {
          this.noteHeadFailure(written === 0 ? batch.position : { segment, start: end, end: batch.position.end });
          delay = Math.min(this.lastRetryAfterMs ?? this.backoff.next(), MAX_RETRY_AFTER_MS);
        }
      } catch (error) {
        this.problems.warn('read', `Cannot read the spool: ${(error as Error).message}`);
        delay = this.backoff.next();
      }
      if (delay > 0 && !this.closed) await this.sleep(delay);
    }
  }

  private setUp(isUp: boolean, error?: unknown): void {
    this.lastRetryAfterMs = error instanceof WriteError ? error.retryAfterMs : undefined;
    if (isUp !== this.isUp) {
      if (isUp) {
        this.log.info(`Database answers again; draining ${this.spool.stats().points} spooled points`);
      } else {
        const why = error instanceof WriteError ? `${error.reason}: ${error.message}` : String(error);
        const message = `Cannot write to the database (${why}); spooling to ${this.spool.description}`;
        // A wrong URL, database or token will not heal by itself: say so louder than an outage.
        const configProblem =
          error instanceof WriteError && ['unauthorized', 'not_found', 'unexpected_status'].includes(error.reason);
        if (configProblem)
          this.log.error(
            `${message}; ${this.options.configHint ?? 'check --influx-url and the database/bucket and credentials'}`,
          );
        else this.log.warn(message);
      }
    }
    this.isUp = isUp;
    this.events.up(isUp);
  }

  /** `owned`: the batch is handed over (Spool.append); never for one whose bytes a socket may still hold. */
  private toSpool(lines: LineBatch | readonly string[], owned = false): void {
    if ((lines instanceof LineBatch ? lines.count : lines.length) === 0) return;
    this.spool.append(lines, owned);
    this.appended = true;
    this.unsynced = true;
    this.wakeIdle?.();
  }

  private async syncSpool(): Promise<void> {
    this.unsynced = false;
    try {
      await this.spool.sync();
    } catch (error) {
      this.unsynced = true;
      throw error;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.cancelSleep = undefined;
        resolve();
      }, ms);
      this.cancelSleep = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
