/** Anything that takes points for the database and owns their retries. */
export interface Writer {
  /** Take line-protocol lines; never throws, never waits. */
  write(lines: readonly string[]): void;
  /** Push what is buffered in memory to the database or the spool, and wait for it. */
  flush(): Promise<void>;
  /** Flush, stop retrying, make the spool durable. Lines taken later are dropped and counted. */
  close(): Promise<void>;
  /** Points taken and not yet acknowledged by the database (memory and spool). */
  readonly pending: number;
}
