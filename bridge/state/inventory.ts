import { z } from 'zod';
import { closedObject, describeValue, yamlBoolean } from '../../config/common-schemas.ts';
import { NODE_PATTERN } from '../../protocol/keys.ts';
import { readYamlFile } from './yaml-file.ts';

/** A node the site expects: it is listed (down) from start-up until it reports. */
export interface InventoryEntry {
  readonly name: string;
  /** Free-form grouping for dashboards, routing and thresholds, e.g. `cameras`. */
  readonly group: string;
  /** Critical nodes page the operator when down; others only warn. */
  readonly critical: boolean;
}

/** The default group of nodes not in the inventory. */
export const DEFAULT_GROUP = 'default';

const nodeName = z
  .string({ error: (issue) => `expected a node name, got ${describeValue(issue.input)}` })
  .regex(NODE_PATTERN, { error: (issue) => `expected a node name as in the protocol (letters, digits, _ . : -; at most 64), got ${describeValue(issue.input)}` });
const groupName = z
  .string({ error: (issue) => `expected a group name, got ${describeValue(issue.input)}` })
  .regex(/^[A-Za-z0-9_.-]{1,64}$/, { error: (issue) => `expected a group name (letters, digits, _ . -; at most 64), got ${describeValue(issue.input)}` });
// A bare name is short for `{ name: <name> }`.
const entry = z.preprocess(
  (item) => (typeof item === 'string' ? { name: item } : item),
  closedObject({ name: nodeName, group: groupName.default(DEFAULT_GROUP), critical: yamlBoolean.default(false) }, 'a node name or { name, group, critical }'),
);
const inventoryFile = closedObject({ nodes: z.array(entry, { error: (issue) => `expected a list of nodes, got ${describeValue(issue.input)}` }).default([]) }, 'a mapping with nodes: [...]').superRefine(
  (file, ctx) => {
    const first = new Map<string, number>();
    file.nodes.forEach((n, i) => {
      const at = first.get(n.name);
      if (at === undefined) first.set(n.name, i);
      else ctx.addIssue({ code: 'custom', path: ['nodes', i], message: `duplicate node "${n.name}" (already listed as nodes[${at}])` });
    });
  },
);

export function loadInventory(path: string): Map<string, InventoryEntry> {
  const parsed = readYamlFile(path, inventoryFile, 'inventory');
  return new Map(parsed.nodes.map((n) => [n.name, n]));
}

/** What a reload changes: names added, removed, and kept with another group or criticality. */
export function inventoryChanges(before: ReadonlyMap<string, InventoryEntry>, after: ReadonlyMap<string, InventoryEntry>) {
  let added = 0;
  let changed = 0;
  for (const [name, entry] of after) {
    const old = before.get(name);
    if (old === undefined) added += 1;
    else if (old.group !== entry.group || old.critical !== entry.critical) changed += 1;
  }
  let removed = 0;
  for (const name of before.keys()) if (!after.has(name)) removed += 1;
  return { added, removed, changed };
}
