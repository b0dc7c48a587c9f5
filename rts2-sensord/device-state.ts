import { BAD_WEATHER, DEVICE_ERROR_HW, DEVICE_NOT_READY } from './protocol/state-bits.ts';
import type { Reading } from './readings.ts';

/** Which nodes' errors raise HW ERROR: inventory-critical ones (the issue's rule), all, or none. */
export type HwErrorFrom = 'auto' | 'critical' | 'all' | 'none';

/**
 * `none` (default): cluster health never touches the observatory. `bad-weather`: while HW ERROR
 * holds, also set BAD_WEATHER, which makes centrald close the dome — a site decision, documented as
 * dangerous (docs/rts2-wire.md §6).
 */
export type ObservatoryVeto = 'none' | 'bad-weather';

export interface DeviceState {
  readonly state: number;
  readonly text: string;
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/**
 * What the nodes are doing, for the state text: never "within limits" while a node is down or has a
 * figure at a level, whether or not that raises HW ERROR (e.g. a site without inventory, whose down
 * nodes are warnings).
 */
export function nodesSummary(readings: readonly Reading[]): string {
  const nodes = new Map<string, { down: boolean; maintenance: boolean; worst: Reading['status'] }>();
  for (const r of readings) {
    if (r.node === undefined) continue;
    const n = nodes.get(r.node.name) ?? { down: false, maintenance: false, worst: 'ok' };
    if (r.node.maintenance !== undefined) n.maintenance = true;
    else if (r.id.endsWith(':up') && r.value === false) n.down = true;
    else if (r.status === 'error' || (r.status === 'warning' && n.worst !== 'error')) n.worst = r.status;
    nodes.set(r.node.name, n);
  }
  if (nodes.size === 0) return 'no nodes shown yet';
  // Nodes in a maintenance window are counted as such, never as down or at a level.
  const all = [...nodes.values()].filter((n) => !n.maintenance);
  const inMaintenance = nodes.size - all.length;
  const maintenance = inMaintenance === 0 ? [] : [`${plural(inMaintenance, 'node', 'nodes')} in maintenance`];
  const down = all.filter((n) => n.down).length;
  const errors = all.filter((n) => !n.down && n.worst === 'error').length;
  const warnings = all.filter((n) => !n.down && n.worst === 'warning').length;
  if (down + errors + warnings === 0) {
    if (all.length === 0) return maintenance.join('');
    if (inMaintenance > 0) return [`${plural(all.length, 'node', 'nodes')} within limits`, ...maintenance].join(', ');
    return all.length === 1 ? 'the node is within limits' : `all ${all.length} nodes within limits`;
  }
  const parts: string[] = [];
  if (down > 0) parts.push(`${down} of ${plural(all.length, 'node', 'nodes')} down`);
  if (errors > 0) parts.push(`${plural(errors, 'node', 'nodes')} at error level`);
  if (warnings > 0) parts.push(`${plural(warnings, 'node', 'nodes')} at warning level`);
  return [...parts, ...maintenance].join(', ');
}

/**
 * The state word: HW ERROR while a node that counts (see HwErrorFrom) has an error reading, NOT
 * READY while the bridge gives no data. The text names the first cause, then what the nodes are
 * doing (nodesSummary), for `S <state> "<text>"`.
 */
export function deviceState(
  readings: readonly Reading[],
  bridge: { readonly problem: string | undefined },
  hwErrorFrom: HwErrorFrom,
  veto: ObservatoryVeto,
): DeviceState {
  // `auto`: the inventory's critical nodes; a site without any critical node gets all nodes, so the
  // HW ERROR title does not silently never appear there.
  const anyCritical = readings.some((r) => r.node?.critical === true);
  const counts = (critical: boolean) => hwErrorFrom === 'all' || critical || (hwErrorFrom === 'auto' && !anyCritical);
  const failing =
    hwErrorFrom === 'none'
      ? undefined
      : readings.find((r) => r.status === 'error' && r.node !== undefined && counts(r.node.critical));
  let state = 0;
  const causes: string[] = [];
  if (failing !== undefined) {
    state |= DEVICE_ERROR_HW;
    if (veto === 'bad-weather') state |= BAD_WEATHER;
    causes.push(failing.alert?.error ?? `${failing.node?.name ?? ''} in error`);
  }
  if (bridge.problem !== undefined) {
    state |= DEVICE_NOT_READY;
    causes.push(bridge.problem);
  } else {
    // While the bridge is away the nodes' state is unknown: say nothing about them.
    causes.push(nodesSummary(readings));
  }
  return { state: state >>> 0, text: causes.join('; ') };
}
