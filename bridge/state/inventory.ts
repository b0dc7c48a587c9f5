import { z } from 'zod';
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

const nodeName = z.string().regex(NODE_PATTERN, { error: 'expected a node name as in the protocol (letters, digits, _ . : -)' });
const entry = z.union([
  nodeName.transform((name) => ({ name, group: 'default', critical: false })),
  z.strictObject({
    name: nodeName,
    group: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, { error: 'expected a group name (letters, digits, _ . -)' }).default('default'),
    critical: z.boolean().default(false),
  }),
]);
const inventoryFile = z.strictObject({ nodes: z.array(entry).default([]) });

/** The default group of nodes not in the inventory. */
export const DEFAULT_GROUP = 'default';

export function loadInventory(path: string): Map<string, InventoryEntry> {
  const parsed = readYamlFile(path, inventoryFile, 'inventory');
  return new Map(parsed.nodes.map((n) => [n.name, n]));
}
