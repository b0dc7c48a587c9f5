import { BUILTIN_THRESHOLDS_PATH, Thresholds, type Levels } from '../../bridge/state/thresholds.ts';

/** Protocol keys the dashboards draw levels for. */
export type LevelKey = 'cpu' | 'mem' | 'swap' | 'disk' | 'temp' | 'rx' | 'tx';

/**
 * The default levels of config/thresholds.yaml, read when the dashboards are generated. Grafana's
 * static colour steps can only hold one level per panel, so they use the defaults; per-node and
 * per-group levels come from the bridge's obsmon_threshold series wherever a panel can use a query.
 */
export function defaultLevels(key: LevelKey, path: string = BUILTIN_THRESHOLDS_PATH): Levels {
  // '' is never a node or group name (protocol NODE_PATTERN), so this is the `defaults` entry.
  const levels = Thresholds.load(path).levels('', '', key);
  if (levels === undefined) throw new Error(`${path} has no default levels for "${key}"; the dashboards need them`);
  return levels;
}
