import express, { Router, type RequestHandler } from 'express';
import type { RateLimitedLog } from '../../lib/rate-limited-log.ts';
import type { MaintenanceSchedule } from '../state/maintenance-schedule.ts';
import { describeWindow, maintenanceWindowSchema } from '../state/maintenance-windows.ts';
import { MAX_RUNTIME_WINDOWS } from '../state/maintenance-schedule.ts';

export interface MaintenanceRoutesDeps {
  readonly schedule: MaintenanceSchedule;
  /** The API's authentication (bridge/expose/http-auth.ts); writes are refused without one. */
  readonly auth: RequestHandler | undefined;
  readonly log?: RateLimitedLog | undefined;
}

/** A window is a few hundred bytes; anything bigger is not one. */
const MAX_BODY_BYTES = 4096;

/**
 * `GET/POST /api/v1/maintenance`, `DELETE /api/v1/maintenance/:id`: the only writing part of the
 * HTTP API, mounted before the read-only guard. Behind the API's authentication; with none
 * configured, writes are refused (403) rather than open to anyone who reaches the port.
 */
export function maintenanceRoutes(deps: MaintenanceRoutesDeps): Router {
  const router = Router();
  router.use((_req, res, next) => {
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('x-frame-options', 'DENY');
    next();
  });
  if (deps.auth !== undefined) router.use(deps.auth);
  const list = () => deps.schedule.list().map((l) => ({ id: l.id, source: l.source, ...describeWindow(l.window) }));
  router.get('/', (_req, res) => {
    res.json({ maxRuntimeWindows: MAX_RUNTIME_WINDOWS, windows: list() });
  });
  const writable: RequestHandler = (req, res, next) => {
    if (deps.auth !== undefined) return next();
    deps.schedule.countRefusal('no_auth');
    deps.log?.warn(
      'maintenance_no_auth',
      `Refused ${JSON.stringify(req.method)} of a maintenance window: the bridge has no HTTP authentication (--http-bearer-tokens, --http-basic-auth)`,
    );
    res.status(403).json({
      error: 'forbidden',
      detail:
        'setting maintenance windows needs HTTP authentication: start the bridge with --http-bearer-tokens or --http-basic-auth',
    });
  };
  router.post('/', writable, express.json({ limit: MAX_BODY_BYTES, strict: true }), (req, res) => {
    const parsed = maintenanceWindowSchema.safeParse(req.body);
    if (!parsed.success) {
      deps.schedule.countRefusal('invalid');
      const issue = parsed.error.issues[0];
      const where = issue === undefined || issue.path.length === 0 ? '' : `${issue.path.join('.')}: `;
      const detail = `${where}${issue?.message ?? 'invalid window'}`;
      deps.log?.warn('maintenance_invalid', `Refused a maintenance window: ${JSON.stringify(detail.slice(0, 300))}`);
      res.status(400).json({ error: 'bad_request', detail });
      return;
    }
    if (deps.schedule.isOver(parsed.data)) {
      deps.schedule.countRefusal('invalid');
      res.status(400).json({ error: 'bad_request', detail: 'until: the window is already over' });
      return;
    }
    const id = deps.schedule.add(parsed.data);
    if (id === undefined) {
      deps.schedule.countRefusal('limit');
      deps.log?.warn(
        'maintenance_limit',
        `Refused a maintenance window: ${MAX_RUNTIME_WINDOWS} windows set through the API are held`,
      );
      res.status(409).json({
        error: 'too_many_windows',
        detail: `at most ${MAX_RUNTIME_WINDOWS} windows set through the API; delete one first`,
      });
      return;
    }
    res.status(201).json({ id, source: 'api', ...describeWindow(parsed.data) });
  });
  router.delete('/:id', writable, (req, res) => {
    if (!deps.schedule.delete(String(req.params['id']))) {
      res.status(404).json({
        error: 'unknown_window',
        detail: 'no window set through the API has this id (inventory windows change with the file)',
      });
      return;
    }
    res.status(204).end();
  });
  router.all(['/', '/:id'], (_req, res) => {
    res.setHeader('allow', 'GET, HEAD, POST, DELETE');
    res.status(405).json({ error: 'method_not_allowed' });
  });
  return router;
}
