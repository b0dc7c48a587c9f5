import { MappingType, type ValueMapping } from '@grafana/grafana-foundation-sdk/dashboard';
import { ThresholdsConfigBuilder, ThresholdsMode } from '@grafana/grafana-foundation-sdk/dashboard';
import { STATUS_COLOURS } from '../../lib/status-colours.ts';
import type { Levels } from '../../protocol/status.ts';

/** The status page's colours (Okabe-Ito: ok green, warning blue, error vermilion, stale grey). */
export const COLOURS = STATUS_COLOURS;

/** Colour steps of a value panel: ok below the warning level, warning from it, error from the error level. */
export function levelSteps(levels: Levels): ThresholdsConfigBuilder {
  return new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps([
    { value: null, color: COLOURS.ok },
    { value: levels.warning, color: COLOURS.warning },
    { value: levels.error, color: COLOURS.error },
  ]);
}

/** Status numbers as the dashboards' PromQL computes them: 0 ok, 1 warning, 2 error. */
export const STATUS_MAPPING: ValueMapping = {
  type: MappingType.ValueToText,
  options: {
    '0': { text: 'ok', color: COLOURS.ok, index: 0 },
    '1': { text: 'warning', color: COLOURS.warning, index: 1 },
    '2': { text: 'error', color: COLOURS.error, index: 2 },
  },
};

/** obsmon_node_up: a node that is down is what the status page calls stale. */
export const UP_MAPPING: ValueMapping = {
  type: MappingType.ValueToText,
  options: {
    '0': { text: 'down', color: COLOURS.stale, index: 0 },
    '1': { text: 'up', color: COLOURS.ok, index: 1 },
  },
};

/**
 * Colours of value series in history charts, as the status page's node charts (bridge/page/node-page.js):
 * Okabe-Ito hues that are none of the status colours, so a value line is never mistaken for a level.
 */
export const SERIES_COLOURS: readonly string[] = ['#E69F00', '#56B4E9', '#CC79A7', '#F0E442', '#000000'];
