import type { Logger } from '../../lib/logger.ts';
import { RateLimitedLog } from '../../lib/rate-limited-log.ts';
import type { HistoryAnswer, HistoryQuery, HistoryReader } from './history.ts';

/**
 * The database's history, or the bridge's memory when the database cannot answer: the status page
 * keeps its graphs during an outage, and the answer's `source` says which one it got.
 */
export class FallbackHistory implements HistoryReader {
  private readonly log: RateLimitedLog;

  constructor(
    private readonly primary: HistoryReader,
    private readonly fallback: HistoryReader,
    log: Logger,
  ) {
    this.log = new RateLimitedLog(log);
  }

  async query(q: HistoryQuery): Promise<HistoryAnswer> {
    try {
      return await this.primary.query(q);
    } catch (error) {
      this.log.warn(
        'history',
        `History query to the database failed, answering from memory: ${(error as Error).message}`,
      );
      return this.fallback.query(q);
    }
  }
}
