import { LineBatch } from './line-batch.ts';

/** A run of the oldest spooled lines, handed out by `read` and removed by `ack`. */
export interface SpoolBatch {
  /** The lines as bytes (the disk spool: a range of the segment as read from its file). */
  readonly batch: LineBatch;
  /** The same lines as text. */
  readonly lines: readonly string[];
  /** Opaque position; only the spool interprets it. */
  readonly position: { readonly segment: number; readonly start: number; readonly end: number };
}

type Position = SpoolBatch['position'];

/** A SpoolBatch of bytes; its text is decoded only if someone asks for it. */
export function spoolBatchOfBytes(batch: LineBatch, position: Position): SpoolBatch {
  let lines: string[] | undefined;
  return {
    batch,
    get lines() {
      return (lines ??= batch.lines());
    },
    position,
  };
}

/** A SpoolBatch of strings (the memory spool); encoded only if someone asks for the bytes. */
export function spoolBatchOfLines(lines: readonly string[], position: Position): SpoolBatch {
  let batch: LineBatch | undefined;
  return {
    get batch() {
      return (batch ??= LineBatch.of(lines));
    },
    lines,
    position,
  };
}

export interface SpoolStats {
  /** Bytes of lines not yet acknowledged. */
  readonly bytes: number;
  /** Lines (points) not yet acknowledged. */
  readonly points: number;
  /** Oldest agent timestamp among them, unix seconds; undefined when empty. */
  readonly oldestTimestamp: number | undefined;
}

/**
 * Ordered store-and-forward queue of line-protocol lines for when the database cannot take them.
 * Bounded: past `maxBytes` the oldest lines are dropped and reported through `onDrop`.
 */
export interface Spool {
  /** Human-readable location for logs. */
  readonly description: string;
  /** True when lines survive a restart (a directory), false for the in-memory fallback. */
  readonly durable: boolean;
  /**
   * Queue lines; they are durable after the next `sync`. Never throws for a full spool: it drops the
   * oldest. `owned`: the caller hands the batch over and never reads it again, so the spool may keep
   * its buffer instead of copying it (and gives it to the buffer pool once done with it); otherwise
   * the spool copies and never keeps nor recycles the caller's buffer.
   */
  append(lines: LineBatch | readonly string[], owned?: boolean): void;
  /** Make everything appended so far durable (fsync). */
  sync(): Promise<void>;
  /** Oldest unacknowledged lines, at most `maxLines`; the same lines again until acknowledged. */
  read(maxLines: number): Promise<SpoolBatch | undefined>;
  /** Remove a batch returned by `read`; a batch whose lines were dropped meanwhile is ignored. */
  ack(batch: SpoolBatch): void;
  stats(): SpoolStats;
  /** Sync and release files. */
  close(): Promise<void>;
}

/**
 * Called with the number of lines dropped: to stay under the size limit (`spool_full`), or refused
 * while the disk fails and the lines waiting in memory reached their bound (`spool_error`).
 */
export type DropListener = (points: number, reason?: 'spool_full' | 'spool_error') => void;
