import type { Request, Response } from 'express';
import type { Counter } from 'prom-client';
import type { EventLog, StreamEvent } from './event-log.ts';

export interface StreamOptions {
  /** Unsent bytes a subscriber may fall behind before it is dropped. */
  readonly maxBufferedBytes: number;
  readonly heartbeatMs: number;
  /** Identifies this bridge process in event ids, so ids from a previous run are not trusted. */
  readonly instance: string;
}

/**
 * `GET /api/v1/stream`: Server-Sent Events of reports and status changes. Event ids are
 * `<instance>.<seq>`; `Last-Event-ID` from the same instance resumes after that event, anything else
 * replays the whole window (preceded by a `reset` event so the client knows it may have missed some).
 * A subscriber that cannot keep up is disconnected rather than buffered without bound: ingest never
 * waits for a reader.
 */
export function streamHandler(log: EventLog, options: StreamOptions, droppedSubscribers: Counter) {
  return (req: Request, res: Response) => {
    const nodes = listParam(req.query['node']);
    const types = listParam(req.query['types']) ?? ['report', 'status'];
    // `scope=local`: only what happened on this bridge; peers relay with it, so nothing loops.
    const localOnly = req.query['scope'] === 'local';
    const wanted = (e: StreamEvent) =>
      types.includes(e.type) && (nodes === undefined || nodes.includes(e.node)) && (!localOnly || e.origin === 'local');

    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(`retry: 2000\n\n`);
    let open = true;
    const send = (e: StreamEvent) => {
      if (!open || !wanted(e)) return;
      if (res.writableLength > options.maxBufferedBytes) {
        open = false;
        droppedSubscribers.inc();
        res.destroy();
        return;
      }
      res.write(`id: ${options.instance}.${e.seq}\nevent: ${e.type}\ndata: ${e.json}\n\n`);
    };

    const resumeFrom = parseLastEventId(req.get('last-event-id') ?? stringParam(req.query['lastEventId']), options.instance);
    if (resumeFrom !== undefined) {
      if (resumeFrom < log.oldestSeq - 1) res.write(`event: reset\ndata: {"reason":"window_exceeded"}\n\n`);
      for (const e of log.after(resumeFrom)) send(e);
    } else if (req.get('last-event-id') !== undefined) {
      res.write(`event: reset\ndata: {"reason":"bridge_restarted"}\n\n`);
      for (const e of log.after(0)) send(e);
    }
    const unsubscribe = log.subscribe(send);
    const heartbeat = setInterval(() => open && res.write(': keepalive\n\n'), options.heartbeatMs);
    res.on('close', () => {
      open = false;
      clearInterval(heartbeat);
      unsubscribe();
    });
  };
}

function parseLastEventId(id: string | undefined, instance: string): number | undefined {
  if (id === undefined) return undefined;
  const dot = id.lastIndexOf('.');
  if (dot < 0 || id.slice(0, dot) !== instance) return undefined;
  const seq = Number(id.slice(dot + 1));
  return Number.isInteger(seq) && seq >= 0 ? seq : undefined;
}

function stringParam(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function listParam(value: unknown): string[] | undefined {
  const text = stringParam(value);
  if (text === undefined || text === '') return undefined;
  return text.split(',').filter((v) => v !== '');
}
