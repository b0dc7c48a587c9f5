import * as z from '../../config/zod.ts';
import { closedObject, describeValue, hostPort, wholeNumber, yamlBoolean } from '../../config/common-schemas.ts';
import { NODE_PATTERN } from '../../protocol/keys.ts';
import { maintenanceWindowSchema, type MaintenanceWindow } from './maintenance-windows.ts';
import { readYamlFile } from '../../config/yaml-file.ts';

/** A node the site expects: it is listed (down) from start-up until it reports. */
export interface InventoryEntry {
  readonly name: string;
  /** Free-form grouping for dashboards, routing and thresholds, e.g. `cameras`. */
  readonly group: string;
  /** Critical nodes page the operator when down; others only warn. */
  readonly critical: boolean;
  /** An agentless device: the bridge probes it and reports for it (bridge/probes/). */
  readonly probe?: ProbeSpec;
}

/** How the bridge checks a device that runs no agent: a TCP connect or an HTTP request. */
export type ProbeSpec =
  | { readonly kind: 'tcp'; readonly target: string; readonly intervalSeconds: number; readonly timeoutSeconds: number }
  | {
      readonly kind: 'http';
      readonly target: string;
      readonly intervalSeconds: number;
      readonly timeoutSeconds: number;
      readonly expectStatus: number;
    };

/** Probes one inventory may hold: each is a timer and, while it runs, a socket. */
export const MAX_PROBES = 1000;
export const DEFAULT_PROBE_INTERVAL_SECONDS = 10;
export const DEFAULT_PROBE_TIMEOUT_SECONDS = 2;

/** The default group of nodes not in the inventory. */
export const DEFAULT_GROUP = 'default';

const nodeName = z.string({ error: (issue) => `expected a node name, got ${describeValue(issue.input)}` }).check(
  z.regex(NODE_PATTERN, {
    error: (issue) =>
      `expected a node name as in the protocol (letters, digits, _ . : -; at most 64), got ${describeValue(issue.input)}`,
  }),
);
const groupName = z.string({ error: (issue) => `expected a group name, got ${describeValue(issue.input)}` }).check(
  z.regex(/^[A-Za-z0-9_.-]{1,64}$/, {
    error: (issue) => `expected a group name (letters, digits, _ . -; at most 64), got ${describeValue(issue.input)}`,
  }),
);
const probeSeconds = (what: string, min: number, max: number) =>
  z
    .number({
      error: (issue) => `expected the ${what} in seconds (${min} … ${max}), got ${describeValue(issue.input)}`,
    })
    .check(
      z.minimum(min, { error: `expected the ${what} in seconds (${min} … ${max})` }),
      z.maximum(max, { error: `expected the ${what} in seconds (${min} … ${max})` }),
    );
const httpUrl = z
  .string({ error: (issue) => `expected an http:// or https:// URL, got ${describeValue(issue.input)}` })
  .check(
    z.refine(
      (s) =>
        URL.canParse(s) &&
        ['http:', 'https:'].includes(new URL(s).protocol) &&
        new URL(s).username === '' &&
        new URL(s).password === '',
      {
        error: (issue) =>
          `expected an http:// or https:// URL without user:password, got ${describeValue(issue.input)}`,
      },
    ),
  );
const probeFields = closedObject(
  {
    tcp: z.optional(hostPort),
    http: z.optional(httpUrl),
    expect_status: z.optional(wholeNumber(100, 599, 'expected an HTTP status code 100..599')),
    interval: z._default(probeSeconds('interval', 1, 3600), DEFAULT_PROBE_INTERVAL_SECONDS),
    timeout: z._default(probeSeconds('timeout', 0.1, 60), DEFAULT_PROBE_TIMEOUT_SECONDS),
  },
  '{ tcp: <host:port> } or { http: <url>, expect_status }',
);
const checkedProbe = probeFields.check(
  z.superRefine((p, ctx) => {
    if ((p.tcp === undefined) === (p.http === undefined))
      ctx.addIssue({ code: 'custom', path: [], message: 'expected exactly one of tcp: <host:port> or http: <url>' });
    if (p.tcp !== undefined && p.expect_status !== undefined)
      ctx.addIssue({ code: 'custom', path: ['expect_status'], message: 'expect_status belongs to an http probe' });
    // A probe still running when the next is due would overlap it.
    if (p.timeout >= p.interval)
      ctx.addIssue({
        code: 'custom',
        path: ['timeout'],
        message: `timeout (${p.timeout} s) must be shorter than interval (${p.interval} s)`,
      });
  }),
);
const probe = z.pipe(
  checkedProbe,
  z.transform((p: z.output<typeof checkedProbe>): ProbeSpec =>
    p.tcp !== undefined
      ? { kind: 'tcp', target: p.tcp, intervalSeconds: p.interval, timeoutSeconds: p.timeout }
      : {
          kind: 'http',
          target: p.http!,
          intervalSeconds: p.interval,
          timeoutSeconds: p.timeout,
          expectStatus: p.expect_status ?? 200,
        },
  ),
);
// A bare name is short for `{ name: <name> }` (classic zod's z.preprocess is this pipe).
const entry = z.pipe(
  z.transform((item: unknown) => (typeof item === 'string' ? { name: item } : item)),
  closedObject(
    {
      name: nodeName,
      group: z._default(groupName, DEFAULT_GROUP),
      critical: z._default(yamlBoolean, false),
      probe: z.optional(probe),
    },
    'a node name or { name, group, critical, probe }',
  ),
);
/** Maintenance windows one inventory file may hold. */
export const MAX_INVENTORY_WINDOWS = 1000;
const inventoryFile = closedObject(
  {
    nodes: z._default(
      z.array(entry, { error: (issue) => `expected a list of nodes, got ${describeValue(issue.input)}` }),
      [],
    ),
    maintenance: z._default(
      z
        .array(maintenanceWindowSchema, {
          error: (issue) => `expected a list of maintenance windows, got ${describeValue(issue.input)}`,
        })
        .check(
          z.maxLength(MAX_INVENTORY_WINDOWS, {
            error: `expected at most ${MAX_INVENTORY_WINDOWS} maintenance windows`,
          }),
        ),
      [],
    ),
  },
  'a mapping with nodes: [...] and maintenance: [...]',
).check(
  z.superRefine((file, ctx) => {
    const first = new Map<string, number>();
    let probes = 0;
    file.nodes.forEach((n, i) => {
      const at = first.get(n.name);
      if (at === undefined) first.set(n.name, i);
      else
        ctx.addIssue({
          code: 'custom',
          path: ['nodes', i],
          message: `duplicate node "${n.name}" (already listed as nodes[${at}])`,
        });
      if (n.probe !== undefined && ++probes === MAX_PROBES + 1)
        ctx.addIssue({ code: 'custom', path: ['nodes', i, 'probe'], message: `more than ${MAX_PROBES} probes` });
    });
  }),
);

export function loadInventory(path: string): Map<string, InventoryEntry> {
  return readInventoryFile(path).nodes;
}

/** The nodes and the maintenance windows (top-level `maintenance:`, each selecting a node or a group). */
export function readInventoryFile(path: string): {
  nodes: Map<string, InventoryEntry>;
  maintenance: MaintenanceWindow[];
} {
  const parsed = readYamlFile(path, inventoryFile, 'inventory');
  return {
    nodes: new Map(
      parsed.nodes.map((n) => [
        n.name,
        n.probe === undefined
          ? { name: n.name, group: n.group, critical: n.critical }
          : { name: n.name, group: n.group, critical: n.critical, probe: n.probe },
      ]),
    ),
    maintenance: parsed.maintenance,
  };
}

/** The same probe, so a reload keeps it running on its schedule. */
export function sameProbe(a: ProbeSpec | undefined, b: ProbeSpec | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** What a reload changes: names added, removed, and kept with another group or criticality. */
export function inventoryChanges(
  before: ReadonlyMap<string, InventoryEntry>,
  after: ReadonlyMap<string, InventoryEntry>,
) {
  let added = 0;
  let changed = 0;
  for (const [name, entry] of after) {
    const old = before.get(name);
    if (old === undefined) added += 1;
    else if (old.group !== entry.group || old.critical !== entry.critical || !sameProbe(old.probe, entry.probe))
      changed += 1;
  }
  let removed = 0;
  for (const name of before.keys()) if (!after.has(name)) removed += 1;
  return { added, removed, changed };
}
