import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { BUILTIN_THRESHOLDS_PATH, Thresholds, type Levels, type ThresholdsConfig } from '../bridge/state/thresholds.ts';

export type Condition = 'ok' | 'warning' | 'error';

/**
 * Warning and error levels as the device applies them: the thresholds file the bridge reads (node
 * override > group override > default), whose defaults an operator may change from rts2-mon. An
 * edited default acts like an edit of `defaults:` in the file: node and group overrides still win.
 */
export class DeviceLevels {
  private thresholds: Thresholds;

  constructor(private config: ThresholdsConfig) {
    this.thresholds = new Thresholds(config);
  }

  /** Read and validate a thresholds file (the built-in one unless a path is given). */
  static load(path: string = BUILTIN_THRESHOLDS_PATH): DeviceLevels {
    // Validation (with the bridge's error messages) first; the raw sections after.
    Thresholds.load(path);
    const raw = (parseYaml(readFileSync(path, 'utf8')) ?? {}) as Partial<ThresholdsConfig>;
    return new DeviceLevels({ defaults: raw.defaults ?? {}, groups: raw.groups ?? {}, nodes: raw.nodes ?? {} });
  }

  defaultLevels(key: string): Levels | undefined {
    return this.thresholds.defaultLevels(key);
  }

  levels(node: string, group: string, key: string): Levels | undefined {
    return this.thresholds.levels(node, group, key);
  }

  condition(node: string, group: string, key: string, value: number): Condition {
    return this.thresholds.status(node, group, key, value);
  }

  setDefault(key: string, levels: Levels): void {
    this.config = { ...this.config, defaults: { ...this.config.defaults, [key]: levels } };
    this.thresholds = new Thresholds(this.config);
  }
}
