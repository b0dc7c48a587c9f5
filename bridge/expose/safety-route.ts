import { Router } from 'express';
import type { NodeView } from '../state/node-view.ts';
import type { SafetyRule } from '../state/safety-rules.ts';
import { roofStatus } from './roof-status.ts';

/** Where INDI's Weather Safety Proxy (`WEATHER_SAFETY_URL`) reads the roof status. */
export const INDI_SAFETY_PATH = '/api/v1/safety/indi';

export interface SafetyRouteDeps {
  /** The node views `/api/v1/nodes` answers with that `scope` (peers included unless `local`). */
  readonly views: (scope: unknown) => NodeView[];
  /** The `--safety-rules` in use now (SIGHUP replaces them); none = advisory only. */
  readonly rules: () => readonly SafetyRule[];
}

/**
 * `GET /api/v1/safety/indi`: `{"roof_status":{"open_ok":0|1,"reasons":"..."}}`, computed per request
 * from the live node views. Never cached: the driver polls it for a roof decision.
 */
export function safetyRoute(deps: SafetyRouteDeps): Router {
  const router = Router();
  router.get(INDI_SAFETY_PATH, (req, res) => {
    res.setHeader('cache-control', 'no-store');
    res.json({ roof_status: roofStatus(deps.views(req.query['scope']), deps.rules()) });
  });
  return router;
}
