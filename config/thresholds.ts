import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CUSTOM_KEY_PATTERN, LAMOST_ALIASES, STANDARD_KEYS, standardKey } from '../protocol/keys.ts';
import type { Levels } from '../protocol/status.ts';
import { EMBEDDED_THRESHOLDS, type EmbeddedThresholds } from './builtin-thresholds.ts';
import { didYouMean } from './closest-name.ts';
import { closedObject, describeValue } from './common-schemas.ts';
import { readYamlFile, validateYaml } from './yaml-file.ts';
import * as z from './zod.ts';
import { yamlLib } from './yaml-lib.ts';
import { parseYamlSource } from './yaml-source.ts';

const number = (what: string) =>
  z.number({ error: (issue) => `expected the ${what} level as a number, got ${describeValue(issue.input)}` });
const levels = closedObject(
  { warning: number('warning'), error: number('error') },
  '{ warning: <number>, error: <number> }',
).check(z.refine((l) => l.warning <= l.error, { error: 'warning must not be above error' }));
const perMetric = z.record(z.string(), levels, {
  error: (issue) => `expected metric: { warning, error } entries, got ${describeValue(issue.input)}`,
});
const perName = (what: string) =>
  z.record(z.string(), perMetric, {
    error: (issue) => `expected ${what} names with their metrics, got ${describeValue(issue.input)}`,
  });
const customMetric = z
  .string()
  .check(z.regex(CUSTOM_KEY_PATTERN, { error: 'expected a custom key as in the protocol (a-z, 0-9, _; at most 32)' }));
const checkedFile = closedObject(
  {
    /** Custom (non-standard) keys that may have levels; anything else not standard is a typo. */
    custom_metrics: z._default(z.array(customMetric, { error: 'expected a list of custom keys' }), []),
    defaults: z._default(perMetric, {}),
    groups: z._default(perName('group'), {}),
    nodes: z._default(perName('node'), {}),
  },
  'a mapping with defaults, groups, nodes',
).check(
  z.superRefine((file, ctx) => {
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
  }),
);
const thresholdsFile = z.pipe(
  checkedFile,
  z.transform(({ defaults, groups, nodes }: z.output<typeof checkedFile>) => ({ defaults, groups, nodes })),
);

/** Why `key` cannot have levels (a value with it is never reported), or undefined. */
function metricProblem(key: string, custom: ReadonlySet<string>): string | undefined {
  if (standardKey(key) !== undefined || custom.has(key)) return undefined;
  const alias = LAMOST_ALIASES.get(key);
  if (alias !== undefined) return `"${key}" is a LAMOST alias the bridge stores as "${alias}": use "${alias}"`;
  const standard = STANDARD_KEYS.map((k) => k.key);
  return `unknown metric "${key}" (expected one of ${standard.join(', ')}, or a custom key listed in custom_metrics${didYouMean(key, standard)})`;
}

export type ThresholdsConfig = z.infer<typeof thresholdsFile>;

/**
 * Read and validate a thresholds file: one ConfigError line with file, line, key and expectation. The
 * built-in file comes from the compiled CLI's embedded copy while that is current (builtin-thresholds.ts).
 */
export function loadThresholdsConfig(path: string = BUILTIN_THRESHOLDS_PATH): ThresholdsConfig {
  const embedded = path === BUILTIN_THRESHOLDS_PATH ? currentEmbedded(EMBEDDED_THRESHOLDS, path) : undefined;
  return embedded ?? readYamlFile(path, thresholdsFile, 'thresholds file');
}

/** The thresholds file at `path` validated, as the compiled CLI embeds it (deploy/build/cli-bundle.ts). */
export function embedThresholds(path: string): EmbeddedThresholds {
  const { size, mtimeMs } = statSync(path);
  return { size, mtimeMs, json: JSON.stringify(readYamlFile(path, thresholdsFile, 'thresholds file')) };
}

/** The levels of `embedded` if the file at `path` still has its size and mtime, else undefined (read the file). */
export function currentEmbedded(embedded: EmbeddedThresholds | undefined, path: string): ThresholdsConfig | undefined {
  if (embedded === undefined) return undefined;
  let stat;
  try {
    stat = statSync(path);
  } catch {
    return undefined; // readYamlFile says why
  }
  if (stat.size !== embedded.size || stat.mtimeMs !== embedded.mtimeMs) return undefined;
  return JSON.parse(embedded.json) as ThresholdsConfig;
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

/**
 * The thresholds shipped with obsmon; one file feeds alerts, dashboards, the page and RTS2. This module
 * is its one reader: the bridge, rts2-sensord, `obsmon check-config` and the Grafana generator import it.
 */
export const BUILTIN_THRESHOLDS_PATH = fileURLToPath(new URL('./thresholds.yaml', import.meta.url));

/** Levels per protocol key for one node: node override, else group override, else default, resolved once. */
export type NodeLevels = ReadonlyMap<string, Levels>;

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
  private changes = 0;

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
    this.changes += 1;
  }

  /** Counts replaceWith calls: levels compiled from this object (forNode) are out of date when it moved. */
  get generation(): number {
    return this.changes;
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

  /** Every key's levels for one node, resolved once (the bridge compiles them per node, not per value). */
  forNode(node: string, group: string): NodeLevels {
    const levels = new Map(this.defaults);
    for (const [key, l] of this.groups.get(group) ?? []) levels.set(key, l);
    for (const [key, l] of this.nodes.get(node) ?? []) levels.set(key, l);
    return levels;
  }

  /** The `defaults:` levels of a key, without node or group overrides. */
  defaultLevels(key: string): Levels | undefined {
    return this.defaults.get(key);
  }
}

/**
 * Write the default levels of `key` into a thresholds file, keeping its comments and layout (rts2-mon
 * edits, `--threshold-writes file`). The file is read once; the edited text is validated like a load
 * before it replaces the file (via a temporary file and rename, so a crash never leaves half a file),
 * so an invalid file is refused with its ConfigError and never rewritten.
 */
export function saveDefaultLevels(path: string, key: string, levels: Levels): void {
  const doc = yamlLib().parseDocument(readFileSync(path, 'utf8'));
  doc.setIn(['defaults', key, 'warning'], levels.warning);
  doc.setIn(['defaults', key, 'error'], levels.error);
  const text = doc.toString();
  validateYaml(parseYamlSource(text, path, 'thresholds file'), thresholdsFile);
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, path);
}
