import {
  BUILTIN_THRESHOLDS_PATH,
  countChangedLevels,
  loadThresholdsConfig,
  Thresholds,
  type ThresholdsConfig,
} from '../config/thresholds.ts';
import type { Levels } from '../protocol/status.ts';

/**
 * Warning and error levels as the device applies them: the thresholds file the bridge reads (node
 * override > group override > default), whose defaults an operator may change from rts2-mon. An
 * edited default acts like an edit of `defaults:` in the file: node and group overrides still win.
 * The file is read and validated once per load or reload (config/thresholds.ts).
 */
export class DeviceLevels {
  private thresholds: Thresholds;

  constructor(private config: ThresholdsConfig) {
    this.thresholds = new Thresholds(config);
  }

  /** Read and validate a thresholds file (the built-in one unless a path is given). */
  static load(path: string = BUILTIN_THRESHOLDS_PATH): DeviceLevels {
    return new DeviceLevels(loadThresholdsConfig(path));
  }

  /**
   * Re-read the file (SIGHUP): its levels replace all in use, edits from rts2-mon that were not
   * saved to it included. Returns how many levels changed; an invalid file throws a ConfigError
   * (file, line, problem) and changes nothing.
   */
  reload(path: string = BUILTIN_THRESHOLDS_PATH): number {
    const next = loadThresholdsConfig(path);
    const changed = countChangedLevels(this.config, next);
    this.config = next;
    this.thresholds = new Thresholds(next);
    return changed;
  }

  defaultLevels(key: string): Levels | undefined {
    return this.thresholds.defaultLevels(key);
  }

  levels(node: string, group: string, key: string): Levels | undefined {
    return this.thresholds.levels(node, group, key);
  }

  setDefault(key: string, levels: Levels): void {
    this.config = { ...this.config, defaults: { ...this.config.defaults, [key]: levels } };
    this.thresholds = new Thresholds(this.config);
  }
}
