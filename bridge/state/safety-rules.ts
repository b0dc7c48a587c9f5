import * as z from '../../config/zod.ts';
import { closedObject, describeValue, yamlBoolean } from '../../config/common-schemas.ts';
import { NODE_PATTERN } from '../../protocol/keys.ts';
import type { InventoryEntry } from './inventory.ts';
import { readYamlFile } from '../../config/yaml-file.ts';

/** What is wrong with a node, as the safety endpoint judges it from the node's view. */
export type SafetyCondition = 'down' | 'error';

/**
 * One opt-in rule of `--safety-rules`: nodes in `when` that match every selector given make the
 * safety endpoint say "unsafe". A rule without selectors matches every node.
 */
export interface SafetyRule {
  readonly when: SafetyCondition;
  readonly node?: string;
  readonly group?: string;
  readonly critical?: boolean;
}

/** At most this many rules: a site lists a handful; the bound keeps a generated file from costing a scan per request. */
export const MAX_SAFETY_RULES = 256;

const rule = closedObject(
  {
    when: z.enum(['down', 'error'], { error: (issue) => `expected down or error, got ${describeValue(issue.input)}` }),
    node: z.optional(
      z.string({ error: (issue) => `expected a node name, got ${describeValue(issue.input)}` }).check(
        z.regex(NODE_PATTERN, {
          error: (issue) =>
            `expected a node name as in the protocol (letters, digits, _ . : -; at most 64), got ${describeValue(issue.input)}`,
        }),
      ),
    ),
    group: z.optional(
      z.string({ error: (issue) => `expected a group name, got ${describeValue(issue.input)}` }).check(
        z.regex(/^[A-Za-z0-9_.-]{1,64}$/, {
          error: (issue) =>
            `expected a group name (letters, digits, _ . -; at most 64), got ${describeValue(issue.input)}`,
        }),
      ),
    ),
    critical: z.optional(yamlBoolean),
  },
  '{ when: down|error, node?, group?, critical? }',
);
const rulesFile = closedObject(
  {
    unsafe: z._default(
      z
        .array(rule, { error: (issue) => `expected a list of rules, got ${describeValue(issue.input)}` })
        .check(z.maxLength(MAX_SAFETY_RULES, { error: `expected at most ${MAX_SAFETY_RULES} rules` })),
      [],
    ),
  },
  'a mapping with unsafe: [...]',
);

/** Read and validate a safety rules file; one ConfigError line with file, line, key and expectation. */
export function loadSafetyRules(path: string): readonly SafetyRule[] {
  return readYamlFile(path, rulesFile, 'safety rules file').unsafe.map((r) => {
    const out: { -readonly [K in keyof SafetyRule]: SafetyRule[K] } = { when: r.when };
    if (r.node !== undefined) out.node = r.node;
    if (r.group !== undefined) out.group = r.group;
    if (r.critical !== undefined) out.critical = r.critical;
    return out;
  });
}

/** The node facts a rule selects on. */
export interface RuleSubject {
  readonly node: string;
  readonly group: string;
  readonly critical: boolean;
}

export function ruleMatches(rule: SafetyRule, condition: SafetyCondition, subject: RuleSubject): boolean {
  return (
    rule.when === condition &&
    (rule.node === undefined || rule.node === subject.node) &&
    (rule.group === undefined || rule.group === subject.group) &&
    (rule.critical === undefined || rule.critical === subject.critical)
  );
}

/** `when: down, group: dome` — a rule as a log line or `check-config` names it. */
export function describeRule(rule: SafetyRule): string {
  const parts = [`when: ${rule.when}`];
  if (rule.node !== undefined) parts.push(`node: ${rule.node}`);
  if (rule.group !== undefined) parts.push(`group: ${rule.group}`);
  if (rule.critical !== undefined) parts.push(`critical: ${rule.critical}`);
  return parts.join(', ');
}

/**
 * Rules that no inventory node can match (a typo in a node or group name would otherwise leave a
 * site that opted in to "unsafe" silently advisory). A warning, not an error: a node outside the
 * inventory may still report under that name, and the inventory is reloaded on its own.
 */
export function unmatchedRules(rules: readonly SafetyRule[], inventory: ReadonlyMap<string, InventoryEntry>): string[] {
  const out: string[] = [];
  rules.forEach((r, i) => {
    if (r.node === undefined && r.group === undefined) return;
    const entries = [...inventory.values()];
    if (entries.some((e) => ruleMatches(r, r.when, { node: e.name, group: e.group, critical: e.critical }))) return;
    out.push(`unsafe[${i}] (${describeRule(r)}) matches no inventory node`);
  });
  return out;
}
