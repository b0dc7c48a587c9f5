import { createGzip, constants as zlib } from 'node:zlib';
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import { Counter, type Registry } from 'prom-client';
import type { RateLimitedLog } from '../../lib/rate-limited-log.ts';
import type { NodeTable } from '../state/node-table.ts';
import { viewNode, type NodeView } from '../state/node-view.ts';
import { mergeNodeViews } from '../peers/merge-views.ts';
import type { Thresholds } from '../../config/thresholds.ts';
import { pageRoutes } from './page-routes.ts';
import { safetyRoute } from './safety-route.ts';
import { recycleChunk } from './node-exposition.ts';
import { writableSink, writeInSlices } from './sliced-write.ts';
import { SplicedGzip, splicedGzipAvailable } from './spliced-gzip.ts';
import { hurryTurns } from '../ingest/turn-budget.ts';
import { maintenanceRoutes } from './maintenance-routes.ts';
import type { MaintenanceSchedule } from '../state/maintenance-schedule.ts';
import type { SafetyRule } from '../state/safety-rules.ts';

export interface HttpDeps {
  /** Node views of peer bridges (`--peers`), merged into the API unless `?scope=local`. */
  readonly peerViews?: () => NodeView[][];
  readonly registry: Registry;
  /** Per-node series in exposition format, rendered at scrape time in chunks (node-exposition.ts). */
  readonly nodeExposition: () => Iterable<readonly Buffer[], void, boolean | undefined>;
  readonly table: NodeTable;
  readonly thresholds: Thresholds;
  readonly downAfterMs: number;
  readonly now: () => number;
  readonly stream: RequestHandler;
  /** `GET /api/v1/nodes/:node/history` (bridge/store/history-route.ts). */
  readonly history?: RequestHandler<{ node: string }>;
  /** `GET /api/v1/events`, the event log (bridge/expose/events-route.ts). */
  readonly events?: RequestHandler;
  /** Bearer/basic authentication, when configured (everything but /healthz). */
  readonly auth?: RequestHandler | undefined;
  /** Origins allowed to read the API from a browser (`*` for any); empty = same origin only. */
  readonly corsOrigins?: readonly string[];
  /** Where causes of failed requests are logged (rate-limited). */
  readonly errorLog?: RateLimitedLog;
  /** Opt-in rules of `GET /api/v1/safety/indi` (bridge/expose/safety-route.ts); none = advisory only. */
  readonly safetyRules?: () => readonly SafetyRule[];
  /** Maintenance windows: `/api/v1/maintenance` and the `maintenance` field of node views. */
  readonly maintenance?: MaintenanceSchedule;
}

/** What a failed request is answered with: a status and a fixed word, never the error's text. */
const ERROR_CODES = new Map<number, string>([
  [400, 'bad_request'],
  [403, 'forbidden'],
  [404, 'not_found'],
  [405, 'method_not_allowed'],
  [414, 'uri_too_long'],
  [416, 'range_not_satisfiable'],
  [500, 'internal_error'],
]);
export const HTTP_ERROR_REASONS = [...ERROR_CODES.values()];

/**
 * The last handler: an error (a malformed `%` escape, a refused static path, a bug) becomes a short
 * JSON answer whatever NODE_ENV says, so no stack trace or install path ever reaches a client.
 */
export function errorHandler(errors: {
  readonly counter: Counter<'reason'>;
  readonly log?: RateLimitedLog | undefined;
}): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const raw =
      (error as { status?: unknown; statusCode?: unknown } | null)?.status ??
      (error as { statusCode?: unknown } | null)?.statusCode;
    const given = typeof raw === 'number' && raw >= 400 && raw < 500 ? raw : 500;
    const status = ERROR_CODES.has(given) ? given : given < 500 ? 400 : 500;
    const code = ERROR_CODES.get(status)!;
    errors.counter.labels(code).inc();
    // Rate-limited per answer; the cause is escaped (it may quote the request).
    const cause =
      status >= 500
        ? ((error as Error | null)?.stack ?? String(error))
        : String((error as Error | null)?.message ?? error);
    errors.log?.warn(
      `http_${code}`,
      `HTTP ${JSON.stringify(req.method)} answered ${status} ${code}: ${JSON.stringify(cause.slice(0, 2000))}`,
    );
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(status).json({ error: code });
  };
}

/** Only GET/HEAD (and CORS preflight); common security headers; CORS for the configured origins. */
function readOnly(corsOrigins: readonly string[]): RequestHandler {
  return (req, res, next) => {
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('x-frame-options', 'DENY');
    const origin = req.get('origin');
    const allowed = origin !== undefined && (corsOrigins.includes('*') || corsOrigins.includes(origin));
    if (allowed) {
      res.setHeader('access-control-allow-origin', corsOrigins.includes('*') ? '*' : origin);
      res.setHeader('vary', 'Origin');
    }
    if (req.method === 'OPTIONS' && allowed) {
      res.setHeader('access-control-allow-methods', 'GET, HEAD');
      res.setHeader('access-control-allow-headers', 'Authorization, Last-Event-ID');
      res.status(204).end();
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      res.status(405).json({ error: 'method_not_allowed' });
      return;
    }
    next();
  };
}

/** Read-only HTTP: `/metrics`, `/healthz`, `/api/v1/nodes[/:node]`, `/api/v1/stream`, and the status page at `/`. */
export function createHttpApp(deps: HttpDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  // An ETag would hash every multi-MB /metrics body (measured in docs/benchmarks.md); nobody revalidates it.
  app.set('etag', false);
  // The one writing route, before the read-only guard; it applies `auth` itself.
  if (deps.maintenance !== undefined)
    app.use(
      '/api/v1/maintenance',
      maintenanceRoutes({ schedule: deps.maintenance, auth: deps.auth, log: deps.errorLog }),
    );
  app.use(readOnly(deps.corsOrigins ?? []));
  if (deps.auth !== undefined) app.use(deps.auth);
  const inMaintenance = deps.maintenance === undefined ? undefined : deps.maintenance.stateOf.bind(deps.maintenance);
  const views = () => {
    const now = deps.now();
    return [...deps.table.nodes()]
      .map((n) => viewNode(n, deps.thresholds, now, deps.downAfterMs, inMaintenance))
      .sort((a, b) => a.node.localeCompare(b.node));
  };

  // Streamed in slices (a scrape never holds ingest for its whole length), gzip'd when the scraper
  // asks (Prometheus does): at the fastest level, in libuv's thread pool, about a tenth of the bytes;
  // pieces deflated apart and spliced into one member (spliced-gzip.ts), the constant families kept deflated.
  app.get('/metrics', async (req, res, next) => {
    // Ingest turns are short while the scrape is written (turn-budget.ts): under a flood it gets most of the loop.
    const unhurry = hurryTurns();
    try {
      res.type(deps.registry.contentType);
      res.append('vary', 'Accept-Encoding');
      const gzip = req.acceptsEncodings('gzip', 'identity') === 'gzip';
      if (gzip) res.setHeader('content-encoding', 'gzip');
      const gone = () => res.destroyed || res.socket === null || res.socket.destroyed;
      if (gzip && splicedGzipAvailable) {
        const sink = new SplicedGzip(res, (error) => next(error), recycleChunk);
        if (!(await writeInSlices(deps.nodeExposition(), sink, gone))) {
          sink.destroy();
          return;
        }
        const own = await deps.registry.metrics();
        if (gone()) sink.destroy();
        else await sink.end(own);
        return;
      }
      const out = gzip ? createGzip({ level: zlib.Z_BEST_SPEED }) : res;
      if (gzip) {
        out.on('error', (error) => next(error));
        out.pipe(res);
      }
      if (!(await writeInSlices(deps.nodeExposition(), writableSink(out, recycleChunk), gone))) {
        out.destroy();
        return;
      }
      const own = await deps.registry.metrics();
      if (gone()) out.destroy();
      else out.end(own);
    } catch (error) {
      next(error);
    } finally {
      unhurry();
    }
  });
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', nodes: deps.table.size });
  });
  // The union with peer bridges, unless the caller (a peer) asks for this bridge's own nodes.
  const scopedViews = (scope: unknown) =>
    deps.peerViews === undefined || scope === 'local' ? views() : mergeNodeViews([views(), ...deps.peerViews()]);
  app.get('/api/v1/nodes', (req, res) => {
    res.json({
      downAfterSeconds: deps.downAfterMs / 1000,
      nodes: scopedViews(req.query['scope']),
    } satisfies import('../state/node-view-json.ts').NodeList);
  });
  app.get('/api/v1/nodes/:node', (req, res) => {
    const node = deps.table.get(req.params.node);
    const local =
      node === undefined ? undefined : viewNode(node, deps.thresholds, deps.now(), deps.downAfterMs, inMaintenance);
    const view =
      deps.peerViews === undefined || req.query['scope'] === 'local'
        ? local
        : mergeNodeViews([
            local ? [local] : [],
            ...deps.peerViews().map((v) => v.filter((n) => n.node === req.params.node)),
          ])[0];
    if (view === undefined) {
      res.status(404).json({ error: 'unknown_node', node: req.params.node });
      return;
    }
    res.json(view);
  });
  if (deps.history !== undefined) app.get('/api/v1/nodes/:node/history', deps.history);
  if (deps.events !== undefined) app.get('/api/v1/events', deps.events);
  app.get('/api/v1/stream', deps.stream);
  app.use(safetyRoute({ views: scopedViews, rules: deps.safetyRules ?? (() => []) }));
  app.use(pageRoutes());
  app.use((_req, res) => {
    res.status(404).json({ error: 'not_found' });
  });
  const errorCounter = new Counter({
    name: 'obsmon_bridge_http_errors_total',
    help: 'HTTP requests answered with an error, by answer (bad_request, forbidden, not_found, internal_error, ...)',
    labelNames: ['reason'] as const,
    registers: [deps.registry],
  });
  for (const reason of HTTP_ERROR_REASONS) errorCounter.labels(reason).inc(0);
  app.use(errorHandler({ counter: errorCounter, log: deps.errorLog }));
  return app;
}
