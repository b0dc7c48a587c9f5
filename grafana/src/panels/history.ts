import type { Builder, Dataquery } from '@grafana/grafana-foundation-sdk/cog';
import {
  LegendDisplayMode,
  LegendPlacement,
  LineStyleBuilder,
  SortOrder,
  TooltipDisplayMode,
  VizLegendOptionsBuilder,
  VizTooltipOptionsBuilder,
} from '@grafana/grafana-foundation-sdk/common';
import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/common';
import { FieldColorModeId, type DynamicConfigValue } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PROMETHEUS } from '../datasources.ts';
import type { LevelKey } from '../levels.ts';
import { COLOURS, SERIES_COLOURS } from '../palette.ts';
import { levelSeries } from '../selectors.ts';

export interface HistoryOptions {
  readonly title: string;
  readonly unit: string;
  readonly datasource: DataSourceRef;
  readonly targets: ReadonlyArray<Builder<Dataquery>>;
  /** Names of the value series (legend or alias), coloured in order from SERIES_COLOURS; others get Grafana's palette. */
  readonly series: readonly string[];
  /** The key whose warning and error levels are drawn as dashed lines (from obsmon_threshold). */
  readonly levels?: LevelKey;
  readonly max?: number;
}

/** The node's levels of a key as two Prometheus targets named `warning` and `error`. */
export function levelTargets(key: LevelKey, node: string): DataqueryBuilder[] {
  return (['warning', 'error'] as const).map((severity) =>
    new DataqueryBuilder()
      .datasource(PROMETHEUS.ref)
      .expr(`max(${levelSeries(key, severity, `node="${node}"`)})`)
      .legendFormat(severity)
      .refId(severity),
  );
}

const fixedColour = (colour: string): DynamicConfigValue => ({
  id: 'color',
  value: { mode: FieldColorModeId.Fixed, fixedColor: colour },
});

/**
 * A history chart as on the LAMOST web page: values as lines, the node's warning and error levels as
 * dashed lines in the status colours (series `warning` and `error`, styled by field overrides).
 */
export function historyPanel(options: HistoryOptions, node: string): TimeseriesPanel {
  const panel = new TimeseriesPanel()
    .title(options.title)
    .datasource(options.datasource)
    .unit(options.unit)
    .min(0)
    .lineWidth(2)
    .fillOpacity(0)
    .spanNulls(false)
    .legend(
      new VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(LegendDisplayMode.List)
        .placement(LegendPlacement.Bottom)
        .calcs(['lastNotNull', 'max']),
    )
    .tooltip(new VizTooltipOptionsBuilder().mode(TooltipDisplayMode.Multi).sort(SortOrder.Descending))
    .span(12)
    .height(8);
  if (options.max !== undefined) panel.max(options.max);
  for (const target of options.targets) panel.withTarget(target);
  options.series.forEach((name, i) =>
    panel.overrideByName(name, [fixedColour(SERIES_COLOURS[i % SERIES_COLOURS.length] ?? COLOURS.stale)]),
  );
  if (options.levels !== undefined) {
    for (const target of levelTargets(options.levels, node)) panel.withTarget(target);
    for (const severity of ['warning', 'error'] as const) {
      panel.overrideByName(severity, [
        fixedColour(COLOURS[severity]),
        { id: 'custom.lineStyle', value: new LineStyleBuilder().fill('dash').dash([10, 6]).build() },
        { id: 'custom.lineWidth', value: 1 },
      ]);
    }
  }
  return panel;
}
