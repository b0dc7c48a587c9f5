import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { readYamlFile } from './yaml-file.ts';

/** Warning and error levels of one metric; a value at or above a level has that status. */
export interface Levels {
  readonly warning: number;
  readonly error: number;
}

export type Severity = keyof Levels;
export type Status = 'ok' | 'warning' | 'error' | 'stale';

const levels = z
  .strictObject({ warning: z.number(), error: z.number() })
  .refine((l) => l.warning <= l.error, { error: 'warning must not be above error' });
const perMetric = z.record(z.string(), levels);
const thresholdsFile = z.strictObject({
  defaults: perMetric.default({}),
  groups: z.record(z.string(), perMetric).default({}),
  nodes: z.record(z.string(), perMetric).default({}),
});

export type ThresholdsConfig = z.infer<typeof thresholdsFile>;

/** The thresholds shipped with obsmon; one file feeds alerts, dashboards, the page and RTS2. */
export const BUILTIN_THRESHOLDS_PATH = fileURLToPath(new URL('../../config/thresholds.yaml', import.meta.url));

/**
 * Thresholds by protocol key (`disk`, `cpu`, ...): node override, else group override, else default.
 * A metric without any level has no thresholds (status always ok).
 */
export class Thresholds {
  // Maps, not the parsed records: node names and keys come from agents, and a plain-object lookup
  // would answer `constructor` or `toString` with Object.prototype members.
  private readonly defaults: ReadonlyMap<string, Levels>;
  private readonly groups: ReadonlyMap<string, ReadonlyMap<string, Levels>>;
  private readonly nodes: ReadonlyMap<string, ReadonlyMap<string, Levels>>;

  constructor(config: ThresholdsConfig) {
    this.defaults = new Map(Object.entries(config.defaults));
    this.groups = new Map(Object.entries(config.groups).map(([name, table]) => [name, new Map(Object.entries(table))]));
    this.nodes = new Map(Object.entries(config.nodes).map(([name, table]) => [name, new Map(Object.entries(table))]));
  }

  static load(path: string = BUILTIN_THRESHOLDS_PATH): Thresholds {
    return new Thresholds(readYamlFile(path, thresholdsFile, 'thresholds file'));
  }

  /** Keys that have levels anywhere (defaults, groups or nodes). */
  metrics(): string[] {
    const keys = new Set(this.defaults.keys());
    for (const table of [...this.groups.values(), ...this.nodes.values()]) {
      for (const key of table.keys()) keys.add(key);
    }
    return [...keys].sort();
  }

  levels(node: string, group: string, key: string): Levels | undefined {
    return this.nodes.get(node)?.get(key) ?? this.groups.get(group)?.get(key) ?? this.defaults.get(key);
  }

  /** The `defaults:` levels of a key, without node or group overrides. */
  defaultLevels(key: string): Levels | undefined {
    return this.defaults.get(key);
  }

  status(node: string, group: string, key: string, value: number): Exclude<Status, 'stale'> {
    const l = this.levels(node, group, key);
    if (l === undefined) return 'ok';
    if (value >= l.error) return 'error';
    return value >= l.warning ? 'warning' : 'ok';
  }
}

const RANK: Record<Status, number> = { ok: 0, stale: 1, warning: 2, error: 3 };

/** The worse of two statuses (error > warning > stale > ok). */
export function worst(a: Status, b: Status): Status {
  return RANK[b] > RANK[a] ? b : a;
}
