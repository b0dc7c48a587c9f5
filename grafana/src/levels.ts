import { BUILTIN_THRESHOLDS_PATH, loadThresholdsConfig, type ThresholdsConfig } from '../../config/thresholds.ts';
import type { Levels } from '../../protocol/status.ts';

/** Protocol keys the dashboards draw levels for. */
export type LevelKey = 'cpu' | 'mem' | 'swap' | 'disk' | 'temp' | 'rx' | 'tx';

/** One generation run reads and validates each file once, however many panels ask. */
const read = new Map<string, ThresholdsConfig>();

/**
 * The `defaults:` levels of config/thresholds.yaml, read when the dashboards are generated. Grafana's
 * static colour steps can only hold one level per panel, so they use the defaults; per-node and
 * per-group levels come from the bridge's obsmon_threshold series wherever a panel can use a query.
 */
export function defaultLevels(key: LevelKey, path: string = BUILTIN_THRESHOLDS_PATH): Levels {
  let config = read.get(path);
  if (config === undefined) {
    config = loadThresholdsConfig(path);
    read.set(path, config);
  }
  // A LevelKey is one of ours, never agent text: the parsed record may be indexed by it.
  const levels = config.defaults[key];
  if (levels === undefined) throw new Error(`${path} has no default levels for "${key}"; the dashboards need them`);
  return levels;
}
