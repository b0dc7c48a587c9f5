import type { RequestHandler } from 'express';
import type { HistoryReader } from './history.ts';
import { parseHistoryRequest } from './history-request.ts';

/**
 * `GET /api/v1/nodes/:node/history?metric=<key>[@<qualifier>]&from=&to=` →
 * `{ node, metric, from, to, source, points: [[t, v], ...] }`; 400 with a reason for a bad request,
 * 502 when neither the database nor memory can answer.
 */
export function historyRoute(history: HistoryReader, now: () => number): RequestHandler<{ node: string }> {
  return async (req, res) => {
    const request = parseHistoryRequest(req.params.node, req.query as Record<string, unknown>, now());
    if (!request.ok) {
      res.status(400).json({ error: 'bad_request', detail: request.error });
      return;
    }
    const { node, from, to } = request.query;
    try {
      const answer = await history.query(request.query);
      res.json({ node, metric: request.metric, from, to, source: answer.source, points: answer.points });
    } catch (error) {
      res.status(502).json({ error: 'history_unavailable', detail: (error as Error).message });
    }
  };
}
