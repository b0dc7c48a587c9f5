import { PanelBuilder as BarGaugePanel } from '@grafana/grafana-foundation-sdk/bargauge';
import {
  BarGaugeDisplayMode,
  BarGaugeNamePlacement,
  BarGaugeValueMode,
  ReduceDataOptionsBuilder,
  VizOrientation,
} from '@grafana/grafana-foundation-sdk/common';
import { DataqueryBuilder, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';
import { PROMETHEUS } from '../datasources.ts';
import { defaultLevels } from '../levels.ts';
import { COLOURS, levelSteps } from '../palette.ts';
import { groupLevels, NODE_RECORD } from '../selectors.ts';
import { nodeDetailLink } from './node-link.ts';

/**
 * One bar per node of a group, coloured by that node's own levels. Grafana's colour steps are static
 * per panel, so the levels travel with the data: four table queries (value, a 0 base, the node's
 * warning and error levels from obsmon_threshold) are merged into one row per node, and the
 * "Rows to fields" transformation turns each row into a field whose thresholds are its levels
 * (handler `threshold1`, one colour per column). The panel's own steps, the default levels of
 * thresholds.yaml, apply only where a row has no levels.
 */
export function statusBars(key: 'cpu' | 'mem' | 'disk', title: string, group: string): BarGaugePanel {
  const record = NODE_RECORD[key];
  if (record === undefined) throw new Error(`no node recording rule for ${key}`);
  const value = `max by (node) (${record}{group="${group}"})`;
  const warning = groupLevels(key, 'warning', group);
  const error = groupLevels(key, 'error', group);
  const table = (expr: string, refId: string) =>
    new DataqueryBuilder().datasource(PROMETHEUS.ref).expr(expr).instant().format(PromQueryFormat.Table).refId(refId);
  const threshold = (fieldName: string, color: string) => ({
    fieldName,
    handlerKey: 'threshold1',
    handlerArguments: { threshold: { color } },
  });
  return new BarGaugePanel()
    .title(title)
    .description(
      `Colours: each node's own ${key} levels (obsmon_threshold; node > group > default in thresholds.yaml).`,
    )
    .datasource(PROMETHEUS.ref)
    .withTarget(table(value, 'value'))
    .withTarget(table(`${warning} * 0`, 'ok'))
    .withTarget(table(warning, 'warning'))
    .withTarget(table(error, 'error'))
    .withTransformation({ id: 'merge', options: {} })
    .withTransformation({
      id: 'organize',
      options: {
        excludeByName: { Time: true },
        renameByName: {
          'Value #value': 'value',
          'Value #ok': 'ok',
          'Value #warning': 'warning',
          'Value #error': 'error',
        },
        // Steps are taken in column order, so the base comes first and the levels ascend.
        indexByName: { node: 0, 'Value #value': 1, 'Value #ok': 2, 'Value #warning': 3, 'Value #error': 4 },
      },
    })
    .withTransformation({
      id: 'rowsToFields',
      options: {
        mappings: [
          { fieldName: 'node', handlerKey: 'field.name' },
          { fieldName: 'value', handlerKey: 'field.value' },
          threshold('ok', COLOURS.ok),
          threshold('warning', COLOURS.warning),
          threshold('error', COLOURS.error),
        ],
      },
    })
    .unit('percent')
    .min(0)
    .max(100)
    .decimals(1)
    .noValue('no data')
    .thresholds(levelSteps(defaultLevels(key)))
    .displayMode(BarGaugeDisplayMode.Basic)
    .valueMode(BarGaugeValueMode.Color)
    .namePlacement(BarGaugeNamePlacement.Left)
    .orientation(VizOrientation.Horizontal)
    .showUnfilled(true)
    .minVizHeight(16)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .dataLinks([nodeDetailLink('__field.name')])
    .span(8)
    .height(8);
}
