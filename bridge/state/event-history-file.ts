import { createReadStream, existsSync, mkdirSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ConfigError } from '../../config/config-error.ts';
import { writeFileAtomically } from '../../lib/atomic-file.ts';
import type { Logger } from '../../lib/logger.ts';
import { RateLimitedLog } from '../../lib/rate-limited-log.ts';
import { LineSplitter } from '../../protocol/line-splitter.ts';
import { parseStoredEvent, type EventHistory, type EventHistoryMetrics, type HistoryEvent } from './event-history.ts';

/*
 * The event log on disk, as JSON lines: a header line, then one event per line, appended as they
 * happen (fsync'd together every flush interval). At start-up, and whenever the appends reach the
 * count bound, the file is rewritten with what the log holds (temporary file, fsync, rename), so it
 * stays at most about twice --events-max lines. A torn last line (a crash during an append) or any
 * line that does not validate is skipped and counted; a file without our header is ignored whole
 * and replaced at once.
 */
const FORMAT = 'obsmon-events';
const VERSION = 1;
/** No line the bridge writes is longer (names, a metric id, a message of at most 300 characters). */
const MAX_LINE_BYTES = 4096;

export const DEFAULT_EVENTS_FILE_NAME = 'events.jsonl';

/** `--events-file`, else `<spool-dir>/events.jsonl`, else none (the log lives in memory only). */
export function eventsFilePath(
  options: { readonly eventsFile: string | undefined; readonly spoolDir: string | undefined },
  create = true,
): string | undefined {
  if (options.eventsFile !== undefined) {
    if (!existsSync(dirname(options.eventsFile))) {
      throw new ConfigError(
        `Invalid --events-file ${options.eventsFile}: its directory ${dirname(options.eventsFile)} does not exist`,
      );
    }
    return options.eventsFile;
  }
  if (options.spoolDir === undefined) return undefined;
  if (create) {
    try {
      mkdirSync(options.spoolDir, { recursive: true });
    } catch (error) {
      throw new ConfigError(
        `Invalid --spool-dir ${options.spoolDir}: cannot create it for the events file: ${(error as Error).message}`,
      );
    }
  }
  return join(options.spoolDir, DEFAULT_EVENTS_FILE_NAME);
}

export type EventsReadOutcome =
  | { readonly kind: 'missing' }
  | { readonly kind: 'invalid'; readonly problem: string }
  | { readonly kind: 'ok'; readonly events: readonly HistoryEvent[]; readonly badLines: number };

class NotOurs extends Error {}

/** Read and validate an events file; keeps at most the newest `maxEvents` (memory bounded whatever the file holds). */
export async function readEventsFile(path: string, maxEvents: number, nowMs: number): Promise<EventsReadOutcome> {
  const splitter = new LineSplitter(MAX_LINE_BYTES);
  const events: HistoryEvent[] = [];
  let head = 0;
  let header = false;
  let badLines = 0;
  let lastId = 0;
  const sink = {
    line(text: string) {
      if (!header) {
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch {
          throw new NotOurs('line 1 is not JSON');
        }
        const v = value as { format?: unknown; version?: unknown } | null;
        if (typeof v !== 'object' || v === null || v.format !== FORMAT)
          throw new NotOurs(`line 1: not an obsmon events file (no "format": "${FORMAT}")`);
        if (v.version !== VERSION)
          throw new NotOurs(`line 1: version ${String(v.version)}, this bridge reads version ${VERSION}`);
        header = true;
        return;
      }
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        badLines += 1;
        return;
      }
      const event = parseStoredEvent(value, nowMs);
      // Ids only grow: an older or repeated one is not a line this bridge appended.
      if (event === undefined || event.id <= lastId) {
        badLines += 1;
        return;
      }
      lastId = event.id;
      events.push(event);
      if (events.length - head > maxEvents) head += 1;
      if (head > 1024 && head * 2 > events.length) {
        events.splice(0, head);
        head = 0;
      }
    },
    overlong() {
      badLines += 1;
    },
  };
  try {
    for await (const chunk of createReadStream(path)) splitter.push(chunk as Buffer, sink);
    splitter.end(sink);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    if (error instanceof NotOurs) return { kind: 'invalid', problem: error.message };
    return { kind: 'invalid', problem: `cannot read it: ${(error as Error).message}` };
  }
  if (!header) return { kind: 'invalid', problem: 'empty file' };
  return { kind: 'ok', events: events.slice(head), badLines };
}

/** Rewrite the whole file atomically: a crash leaves the old file or the new one. */
export async function writeEventsFile(path: string, events: Iterable<HistoryEvent>): Promise<void> {
  function* lines(): Generator<string> {
    yield JSON.stringify({ format: FORMAT, version: VERSION });
    for (const e of events) yield JSON.stringify(e);
  }
  await writeFileAtomically(path, lines());
}

export interface EventsFile {
  /** Append what is pending now (tests; the timer does it every interval). */
  flush(): Promise<void>;
  /** Stop the timer, write what is pending, close. */
  stop(): Promise<void>;
}

export interface EventsFileOptions {
  readonly path: string;
  readonly flushIntervalMs: number;
  readonly maxEvents: number;
  readonly now: () => number;
}

/**
 * Restore `history` from the file, rewrite it (dropping skipped lines and a torn tail), then append
 * every new event. A write failure is counted and logged (rate-limited); the events stay in memory
 * and the next flush rewrites the whole file instead of appending.
 */
export async function startEventsFile(
  history: EventHistory,
  options: EventsFileOptions,
  metrics: EventHistoryMetrics,
  log: Logger,
): Promise<EventsFile> {
  const read = await readEventsFile(options.path, options.maxEvents, options.now());
  if (read.kind === 'invalid') {
    metrics.fileErrors.labels(read.problem.startsWith('cannot read') ? 'read' : 'invalid_file').inc();
    log.warn(
      `Ignoring the events file "${options.path}" (${read.problem}): starting with an empty event log; it is replaced now`,
    );
  } else if (read.kind === 'ok') {
    history.restore(read.events);
    if (read.badLines > 0) {
      metrics.fileErrors.labels('bad_line').inc(read.badLines);
      log.warn(
        `Events file "${options.path}": skipped ${read.badLines} invalid lines (a crash cuts at most the last one)`,
      );
    }
    log.info(`Restored ${history.size} events from "${options.path}"`);
  }

  const failures = new RateLimitedLog(log);
  let pending: string[] = [];
  /** Appends since the last rewrite; past the bound the file is rewritten instead. */
  let appended = 0;
  let rewrite = true;
  let handle: FileHandle | undefined;
  let running: Promise<void> | undefined;
  const unsubscribe = history.onAppend((e) => {
    appended += 1;
    if (appended > options.maxEvents) rewrite = true;
    // A rewrite writes the whole log anyway; this also bounds `pending` while a slow disk holds a write.
    if (rewrite) pending = [];
    else pending.push(`${JSON.stringify(e)}\n`);
  });

  const write = async (): Promise<void> => {
    if (rewrite) {
      // Everything recorded so far is in the snapshot; what comes while it is written goes to `pending`.
      rewrite = false;
      appended = 0;
      pending = [];
      const snapshot = [...history.all()];
      await handle?.close().catch(() => {});
      handle = undefined;
      try {
        await writeEventsFile(options.path, snapshot);
      } catch (error) {
        rewrite = true;
        throw error;
      }
      return;
    }
    if (pending.length === 0) return;
    const text = pending.join('');
    pending = [];
    try {
      handle ??= await open(options.path, 'a', 0o600);
      await handle.write(text);
      await handle.datasync();
    } catch (error) {
      // What is in the file now is unknown (maybe half a line): the next flush rewrites it whole.
      rewrite = true;
      await handle?.close().catch(() => {});
      handle = undefined;
      throw error;
    }
  };
  const flush = (): Promise<void> => {
    running ??= write()
      .catch((error: Error) => {
        metrics.fileErrors.labels('write').inc();
        failures.warn(
          'write',
          `Cannot write the events file "${options.path}" (--events-file): ${error.message}; the events stay in memory`,
        );
      })
      .finally(() => (running = undefined));
    return running;
  };
  await flush();
  const timer = setInterval(() => {
    history.prune();
    void flush();
  }, options.flushIntervalMs);
  timer.unref();
  return {
    async flush() {
      await running;
      await flush();
    },
    async stop() {
      clearInterval(timer);
      unsubscribe();
      await running;
      await flush();
      await handle?.close().catch(() => {});
      handle = undefined;
    },
  };
}
