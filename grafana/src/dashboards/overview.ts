import {
  DashboardBuilder,
  DashboardCursorSync,
  QueryVariableBuilder,
  RowBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { DataqueryBuilder, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';
import { PROMETHEUS } from '../datasources.ts';
import { nodeDetailLink, obsmonDashboardLinks } from '../panels/node-link.ts';
import { instant, statPanel, upTiles } from '../panels/stats.ts';
import { statusBars } from '../panels/status-bars.ts';
import { COLOURS, STATUS_MAPPING } from '../palette.ts';
import { NODE_UP_RECORD, perMetric, shareOfErrorLevel, statusNumber, valueSeries } from '../selectors.ts';
import type { LevelKey } from '../levels.ts';

export const OVERVIEW_UID = 'obsmon-overview';

/** Metrics of the overview, as on the LAMOST GUI: CPU, memory and disk. */
const BAR_METRICS: ReadonlyArray<{ key: 'cpu' | 'mem' | 'disk'; title: string }> = [
  { key: 'cpu', title: 'CPU' },
  { key: 'mem', title: 'Memory' },
  { key: 'disk', title: 'Disk (fullest mount)' },
];

/**
 * The worst offenders: every node's CPU, memory and each mount, ranked by how close the value is to
 * the node's own error level; status coloured per node (0 ok, 1 warning, 2 error).
 */
function worstOffenders(): TablePanel {
  const keys = BAR_METRICS.map((m) => m.key);
  const by = (key: LevelKey) => (key === 'disk' ? 'node, mount' : 'node');
  const table = (expr: string, refId: string) =>
    new DataqueryBuilder().datasource(PROMETHEUS.ref).expr(expr).instant().format(PromQueryFormat.Table).refId(refId);
  return new TablePanel()
    .title('Worst offenders')
    .description(
      'Nodes and mounts closest to their own error level (value / level of obsmon_threshold); 100 % = at the error level.',
    )
    .datasource(PROMETHEUS.ref)
    .withTarget(
      table(
        perMetric(keys, (key) => `max by (${by(key)}) (${valueSeries(key)})`),
        'value',
      ),
    )
    .withTarget(
      table(
        perMetric(keys, (key) => shareOfErrorLevel(key, by(key))),
        'share',
      ),
    )
    .withTarget(
      table(
        perMetric(keys, (key) => statusNumber(key, by(key))),
        'status',
      ),
    )
    .withTransformation({ id: 'merge', options: {} })
    .withTransformation({
      id: 'organize',
      options: {
        excludeByName: { Time: true },
        renameByName: { 'Value #value': 'value', 'Value #share': 'of error level', 'Value #status': 'status' },
        indexByName: { node: 0, metric: 1, mount: 2, 'Value #value': 3, 'Value #share': 4, 'Value #status': 5 },
      },
    })
    .withTransformation({ id: 'sortBy', options: { sort: [{ field: 'of error level', desc: true }] } })
    .withTransformation({ id: 'limit', options: { limitField: 10 } })
    .overrideByName('value', [
      { id: 'unit', value: 'percent' },
      { id: 'decimals', value: 1 },
    ])
    .overrideByName('of error level', [
      { id: 'unit', value: 'percentunit' },
      { id: 'decimals', value: 0 },
    ])
    .overrideByName('status', [
      { id: 'mappings', value: [STATUS_MAPPING] },
      { id: 'custom.cellOptions', value: { type: 'color-background', mode: 'basic' } },
    ])
    .overrideByName('node', [{ id: 'links', value: [nodeDetailLink('__data.fields.node').build()] }])
    .span(16)
    .height(9);
}

/** Cluster overview: one row per node group, every node's CPU, memory and disk bars and its up state. */
export function overviewDashboard(): DashboardBuilder {
  const dashboard = new DashboardBuilder('obsmon / Cluster overview')
    .uid(OVERVIEW_UID)
    .description(
      "Every node by group: CPU, memory, disk and up state, coloured by each node's own warning and error levels.",
    )
    .tags(['obsmon'])
    .links(obsmonDashboardLinks())
    .refresh('30s')
    .time({ from: 'now-1h', to: 'now' })
    .tooltip(DashboardCursorSync.Crosshair)
    .withVariable(
      new QueryVariableBuilder('group')
        .label('Group')
        .datasource(PROMETHEUS.ref)
        .query({ query: `label_values(${NODE_UP_RECORD}, group)`, refId: 'group' })
        .definition(`label_values(${NODE_UP_RECORD}, group)`)
        .refresh(VariableRefresh.OnTimeRangeChanged)
        .sort(VariableSort.AlphabeticalAsc)
        .multi(true)
        .includeAll(true)
        .current({ text: 'All', value: '$__all', selected: true }),
    )
    .withRow(new RowBuilder('Cluster'))
    .withPanel(statPanel('Nodes up', instant(`sum(${NODE_UP_RECORD})`), { span: 4 }))
    .withPanel(
      statPanel('Nodes down', instant(`count(${NODE_UP_RECORD} == 0) or vector(0)`), {
        span: 4,
        // Any node down shows in the status page's stale grey.
        steps: new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps([
          { value: null, color: COLOURS.ok },
          { value: 1, color: COLOURS.stale },
        ]),
      }),
    )
    .withPanel(worstOffenders());
  dashboard.withRow(new RowBuilder('Group $group').repeat('group'));
  dashboard.withPanel(upTiles('$group'));
  for (const { key, title } of BAR_METRICS) dashboard.withPanel(statusBars(key, title, '$group'));
  return dashboard;
}
