import { appendFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../lib/logger.ts';
import { RateLimitedLog } from '../../lib/rate-limited-log.ts';
import { printable } from './write-error.ts';

/** Past this size the file is renamed to `dead-letter.lp.1` (replacing an older one) and restarted. */
export const DEFAULT_DEAD_LETTER_MAX_BYTES = 64 * 1024 * 1024;

/** Where lines the database refused for good go: with the server's reason, never retried. */
export interface DeadLetterSink {
  readonly description: string;
  /** Set `lines` aside with the reason the server gave for refusing them. */
  add(lines: readonly string[], reason: string): void;
}

/**
 * `dead-letter.lp` in the spool directory: each refused line preceded by a comment with the time and
 * the server's reason. Comments are valid line protocol, so after fixing the cause the file can be
 * written back as is (`curl --data-binary @dead-letter.lp .../write?db=...&precision=s`).
 */
export class DeadLetterFile implements DeadLetterSink {
  readonly description: string;
  private readonly path: string;
  private readonly log: RateLimitedLog;

  constructor(
    dir: string,
    log: Logger,
    private readonly maxBytes = DEFAULT_DEAD_LETTER_MAX_BYTES,
    private readonly now: () => number = Date.now,
  ) {
    this.path = join(dir, 'dead-letter.lp');
    this.description = `file "${this.path}"`;
    this.log = new RateLimitedLog(log);
  }

  add(lines: readonly string[], reason: string): void {
    // One comment line whatever the server echoed (a refused line's control bytes, say).
    const comment = `# ${new Date(this.now()).toISOString()} ${printable(reason)}`;
    // Rare and small: a plain synchronous append keeps the order and needs no queue.
    appendFileSync(this.path, `${comment}\n${lines.join('\n')}\n`, 'latin1');
    if (statSync(this.path).size > this.maxBytes) renameSync(this.path, `${this.path}.1`);
    this.log.warn(
      'dead-letter',
      `Database refused ${lines.length} line(s) for good (${printable(reason)}); set aside in "${this.path}"`,
    );
  }
}

/** Without a spool directory refused lines can only be logged (rate-limited) and counted. */
export class DeadLetterLog implements DeadLetterSink {
  readonly description = 'the log only (no --spool-dir)';
  private readonly log: RateLimitedLog;

  constructor(log: Logger) {
    this.log = new RateLimitedLog(log);
  }

  add(lines: readonly string[], reason: string): void {
    this.log.warn(
      'dead-letter',
      `Database refused ${lines.length} line(s) for good (${printable(reason)}): "${printable(lines[0]?.slice(0, 200) ?? '')}"`,
    );
  }
}
