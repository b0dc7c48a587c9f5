import type { Builder, Dataquery } from '@grafana/grafana-foundation-sdk/cog';
import {
  BigValueColorMode,
  BigValueGraphMode,
  BigValueTextMode,
  ReduceDataOptionsBuilder,
  VizOrientation,
} from '@grafana/grafana-foundation-sdk/common';
import {
  FieldColorBuilder,
  FieldColorModeId,
  type ThresholdsConfigBuilder,
  type ValueMapping,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PROMETHEUS } from '../datasources.ts';
import { UP_MAPPING } from '../palette.ts';
import { NODE_UP_RECORD, selector } from '../selectors.ts';
import { nodeDetailLink } from './node-link.ts';

/** An instant Prometheus query for a stat or table. */
export function instant(expr: string, refId = 'A', legend?: string): DataqueryBuilder {
  const q = new DataqueryBuilder().datasource(PROMETHEUS.ref).expr(expr).instant().refId(refId);
  return legend === undefined ? q : q.legendFormat(legend);
}

/** A single-number panel, no sparkline, in the neutral colour unless mappings or steps say otherwise. */
export function statPanel(
  title: string,
  target: Builder<Dataquery>,
  options: { unit?: string; mappings?: ValueMapping[]; steps?: ThresholdsConfigBuilder; span?: number } = {},
): StatPanel {
  const panel = new StatPanel()
    .title(title)
    .datasource(PROMETHEUS.ref)
    .withTarget(target)
    .graphMode(BigValueGraphMode.None)
    .colorMode(BigValueColorMode.Value)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']))
    // Plain numbers in the theme's text colour: grey would read as "stale", green as "ok".
    .colorScheme(new FieldColorBuilder().mode(FieldColorModeId.Fixed).fixedColor('text'))
    .span(options.span ?? 4)
    .height(4);
  if (options.unit !== undefined) panel.unit(options.unit);
  if (options.mappings !== undefined) panel.mappings(options.mappings).colorMode(BigValueColorMode.Background);
  if (options.steps !== undefined)
    panel.thresholds(options.steps).colorScheme(new FieldColorBuilder().mode(FieldColorModeId.Thresholds));
  return panel;
}

/** One tile per node of the group: up or down (stale), linking to the node detail. */
export function upTiles(group: string): StatPanel {
  return new StatPanel()
    .title('Up')
    .description('A node is down when the bridge has had no report from it for --down-after (60 s).')
    .datasource(PROMETHEUS.ref)
    .withTarget(instant(`max by (node) (${selector(NODE_UP_RECORD, `group="${group}"`)})`, 'A', '{{node}}'))
    .mappings([UP_MAPPING])
    .colorMode(BigValueColorMode.Background)
    .graphMode(BigValueGraphMode.None)
    .textMode(BigValueTextMode.ValueAndName)
    .orientation(VizOrientation.Horizontal)
    .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']))
    .dataLinks([nodeDetailLink('__field.labels.node')])
    .span(24)
    .height(3);
}
