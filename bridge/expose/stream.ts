import type { Request, Response } from 'express';
import type { Counter } from 'prom-client';
import type { EventFilter, EventLog } from './event-log.ts';
import type { ReportInterest } from './report-interest.ts';
import { WINDOW_EXCEEDED, type StreamHub } from './stream-hub.ts';

export const STREAM_REFUSE_REASONS = ['max_subscribers'] as const;

export interface StreamOptions {
  /** Subscribers held at once; more are refused with 503. */
  readonly maxSubscribers: number;
  readonly now: () => number;
}

const BRIDGE_RESTARTED = 'event: reset\ndata: {"reason":"bridge_restarted"}\n\n';

/**
 * `GET /api/v1/stream`: Server-Sent Events of reports and status changes. Event ids are
 * `<instance>.<seq>`; `Last-Event-ID` from the same instance resumes after that event, anything else
 * replays the whole window (preceded by a `reset` event so the client knows it may have missed some).
 * The replay is streamed at the client's pace like live events (bridge/expose/stream-hub.ts), so a
 * resume can never be dropped for its own size.
 */
export function streamHandler(
  log: EventLog,
  hub: StreamHub,
  interest: ReportInterest,
  options: StreamOptions,
  refused: Counter<'reason'>,
) {
  return (req: Request, res: Response) => {
    if (hub.size >= options.maxSubscribers) {
      refused.labels('max_subscribers').inc();
      res.setHeader('retry-after', '30');
      res.status(503).json({ error: 'too_many_subscribers' });
      return;
    }
    const nodeList = listParam(req.query['node']);
    // A Set: a filter may name thousands of nodes, and it is asked about every event.
    const nodes = nodeList === undefined ? undefined : new Set(nodeList);
    const types = listParam(req.query['types']) ?? ['report', 'status'];
    const reports = types.includes('report');
    // `scope=local`: only what happened on this bridge; peers relay with it, so nothing loops.
    const localOnly = req.query['scope'] === 'local';
    const wanted: EventFilter = (type, node, origin) =>
      types.includes(type) && (nodes === undefined || nodes.has(node)) && (!localOnly || origin === 'local');

    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    const now = options.now();
    let prelude = 'retry: 2000\n\n';
    let cursor = log.lastSeq + 1;
    const lastId = req.get('last-event-id') ?? stringParam(req.query['lastEventId']);
    if (lastId !== undefined) {
      const seq = parseLastEventId(lastId, log.instance);
      if (seq === undefined) {
        prelude += BRIDGE_RESTARTED;
        cursor = log.oldestSeq;
      } else if (seq + 1 < log.oldestSeq || (reports && log.missedAfter(seq) && !interest.covers(nodes, seq, now))) {
        prelude += WINDOW_EXCEEDED;
        cursor = log.oldestSeq;
      } else {
        // An id from the future (forged or garbled) resumes live, not after an event that never comes.
        cursor = Math.min(seq + 1, log.lastSeq + 1);
      }
    }
    if (reports) {
      // Held from now, after the resume was judged on what was built before this subscriber came.
      const release = interest.hold(nodes, now, log.lastSeq);
      res.on('close', () => release(options.now()));
    }
    hub.add(res, wanted, cursor, prelude);
  };
}

function parseLastEventId(id: string, instance: string): number | undefined {
  const dot = id.lastIndexOf('.');
  if (dot < 0 || id.slice(0, dot) !== instance) return undefined;
  const digits = id.slice(dot + 1);
  return /^\d{1,15}$/.test(digits) ? Number(digits) : undefined;
}

function stringParam(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function listParam(value: unknown): string[] | undefined {
  const text = stringParam(value);
  if (text === undefined || text === '') return undefined;
  return text.split(',').filter((v) => v !== '');
}
