import express, { type Express, type RequestHandler } from 'express';
import type { Registry } from 'prom-client';
import type { NodeTable } from '../state/node-table.ts';
import { viewNode } from '../state/node-view.ts';
import type { Thresholds } from '../state/thresholds.ts';
import { pageRoutes } from './page-routes.ts';

export interface HttpDeps {
  readonly registry: Registry;
  readonly refreshNodeMetrics: () => void;
  readonly table: NodeTable;
  readonly thresholds: Thresholds;
  readonly downAfterMs: number;
  readonly now: () => number;
  readonly stream: RequestHandler;
}

/** Read-only HTTP: `/metrics`, `/healthz`, `/api/v1/nodes[/:node]`, `/api/v1/stream`, and the status page at `/`. */
export function createHttpApp(deps: HttpDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  const views = () => {
    const now = deps.now();
    return [...deps.table.nodes()].map((n) => viewNode(n, deps.thresholds, now, deps.downAfterMs)).sort((a, b) => a.node.localeCompare(b.node));
  };

  app.get('/metrics', async (_req, res, next) => {
    try {
      deps.refreshNodeMetrics();
      const body = await deps.registry.metrics();
      res.type(deps.registry.contentType).send(body);
    } catch (error) {
      next(error);
    }
  });
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', nodes: deps.table.size });
  });
  app.get('/api/v1/nodes', (_req, res) => {
    res.json({ downAfterSeconds: deps.downAfterMs / 1000, nodes: views() });
  });
  app.get('/api/v1/nodes/:node', (req, res) => {
    const node = deps.table.get(req.params.node);
    if (node === undefined) {
      res.status(404).json({ error: 'unknown_node', node: req.params.node });
      return;
    }
    res.json(viewNode(node, deps.thresholds, deps.now(), deps.downAfterMs));
  });
  app.get('/api/v1/stream', deps.stream);
  app.use(pageRoutes());
  app.use((_req, res) => {
    res.status(404).json({ error: 'not_found' });
  });
  return app;
}
