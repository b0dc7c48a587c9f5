import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { didYouMean } from '../../config/closest-name.ts';
import { closedObject, describeValue } from '../../config/common-schemas.ts';
import { CUSTOM_KEY_PATTERN, LAMOST_ALIASES, STANDARD_KEYS, standardKey } from '../../protocol/keys.ts';
import { readYamlFile } from './yaml-file.ts';

/** Warning and error levels of one metric; a value at or above a level has that status. */
export interface Levels {
  readonly warning: number;
  readonly error: number;
}

export type Status = 'ok' | 'warning' | 'error' | 'stale';

const number = (what: string) =>
  z.number({ error: (issue) => `expected the ${what} level as a number, got ${describeValue(issue.input)}` });
const levels = closedObject(
  { warning: number('warning'), error: number('error') },
  '{ warning: <number>, error: <number> }',
).refine((l) => l.warning <= l.error, { error: 'warning must not be above error' });
const perMetric = z.record(z.string(), levels, {
  error: (issue) => `expected metric: { warning, error } entries, got ${describeValue(issue.input)}`,
});
const perName = (what: string) =>
  z.record(z.string(), perMetric, {
    error: (issue) => `expected ${what} names with their metrics, got ${describeValue(issue.input)}`,
  });
const customMetric = z
  .string()
  .regex(CUSTOM_KEY_PATTERN, { error: 'expected a custom key as in the protocol (a-z, 0-9, _; at most 32)' });
const thresholdsFile = closedObject(
  {
    /** Custom (non-standard) keys that may have levels; anything else not standard is a typo. */
    custom_metrics: z.array(customMetric, { error: 'expected a list of custom keys' }).default([]),
    defaults: perMetric.default({}),
    groups: perName('group').default({}),
    nodes: perName('node').default({}),
  },
  'a mapping with defaults, groups, nodes',
)
  .superRefine((file, ctx) => {
    const custom = new Set(file.custom_metrics);
    const tables: Array<[PropertyKey[], Record<string, unknown>]> = [
      [['defaults'], file.defaults],
      ...Object.entries(file.groups).map(([g, t]): [PropertyKey[], Record<string, unknown>] => [['groups', g], t]),
      ...Object.entries(file.nodes).map(([n, t]): [PropertyKey[], Record<string, unknown>] => [['nodes', n], t]),
    ];
    for (const [path, table] of tables) {
      for (const key of Object.keys(table)) {
        const problem = metricProblem(key, custom);
        if (problem !== undefined) ctx.addIssue({ code: 'custom', path: [...path, key], message: problem });
      }
    }
  })
  .transform(({ defaults, groups, nodes }) => ({ defaults, groups, nodes }));

/** Why `key` cannot have levels (a value with it is never reported), or undefined. */
function metricProblem(key: string, custom: ReadonlySet<string>): string | undefined {
  if (standardKey(key) !== undefined || custom.has(key)) return undefined;
  const alias = LAMOST_ALIASES.get(key);
  if (alias !== undefined) return `"${key}" is a LAMOST alias the bridge stores as "${alias}": use "${alias}"`;
  const standard = STANDARD_KEYS.map((k) => k.key);
  return `unknown metric "${key}" (expected one of ${standard.join(', ')}, or a custom key listed in custom_metrics${didYouMean(key, standard)})`;
}

export type ThresholdsConfig = z.infer<typeof thresholdsFile>;

/** Read and validate a thresholds file: one ConfigError line with file, line, key and expectation. */
export function loadThresholdsConfig(path: string = BUILTIN_THRESHOLDS_PATH): ThresholdsConfig {
  return readYamlFile(path, thresholdsFile, 'thresholds file');
}

/** Levels set, changed or removed from `before` to `after` (each section, name and metric counts once). */
export function countChangedLevels(before: ThresholdsConfig, after: ThresholdsConfig): number {
  const flat = (c: ThresholdsConfig) => {
    const out = new Map<string, string>();
    const add = (prefix: string, table: Record<string, Levels>) => {
      for (const [key, l] of Object.entries(table)) out.set(`${prefix}\u0000${key}`, `${l.warning}/${l.error}`);
    };
    add('defaults', c.defaults);
    for (const [g, t] of Object.entries(c.groups)) add(`groups\u0000${g}`, t);
    for (const [n, t] of Object.entries(c.nodes)) add(`nodes\u0000${n}`, t);
    return out;
  };
  const a = flat(before);
  const b = flat(after);
  let changed = 0;
  for (const [k, v] of a) if (b.get(k) !== v) changed += 1;
  for (const k of b.keys()) if (!a.has(k)) changed += 1;
  return changed;
}

/** The thresholds shipped with obsmon; one file feeds alerts, dashboards, the page and RTS2. */
export const BUILTIN_THRESHOLDS_PATH = fileURLToPath(new URL('../../config/thresholds.yaml', import.meta.url));

/**
 * Thresholds by protocol key (`disk`, `cpu`, ...): node override, else group override, else default.
 * A metric without any level has no thresholds (status always ok).
 */
export class Thresholds {
  // Maps, not the parsed records: node names and keys come from agents, and a plain-object lookup
  // would answer `constructor` or `toString` with Object.prototype members. Not readonly: a SIGHUP
  // reload swaps them (replaceWith), so every holder of this object sees the new levels.
  private defaults: ReadonlyMap<string, Levels>;
  private groups: ReadonlyMap<string, ReadonlyMap<string, Levels>>;
  private nodes: ReadonlyMap<string, ReadonlyMap<string, Levels>>;

  constructor(config: ThresholdsConfig) {
    this.defaults = new Map(Object.entries(config.defaults));
    this.groups = new Map(Object.entries(config.groups).map(([name, table]) => [name, new Map(Object.entries(table))]));
    this.nodes = new Map(Object.entries(config.nodes).map(([name, table]) => [name, new Map(Object.entries(table))]));
  }

  static load(path: string = BUILTIN_THRESHOLDS_PATH): Thresholds {
    return new Thresholds(loadThresholdsConfig(path));
  }

  /** Take over the levels of `next` (SIGHUP reload): every holder of this object sees them from now on. */
  replaceWith(next: Thresholds): void {
    this.defaults = next.defaults;
    this.groups = next.groups;
    this.nodes = next.nodes;
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
