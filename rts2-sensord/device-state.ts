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

/**
 * The state word: HW ERROR while a node that counts (see HwErrorFrom) has an error reading, NOT
 * READY while the bridge gives no data. The text names the first cause, for `S <state> "<text>"`.
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
    hwErrorFrom === 'none' ? undefined : readings.find((r) => r.condition === 'error' && r.node !== undefined && counts(r.node.critical));
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
  }
  return { state: state >>> 0, text: causes.length === 0 ? 'all nodes within limits' : causes.join('; ') };
}
