import {
  DashboardBuilder,
  DashboardCursorSync,
  QueryVariableBuilder,
  RowBuilder,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { INFLUXQL, MIXED } from '../datasources.ts';
import { InfluxQlQueryBuilder } from '../influxql.ts';
import { historyPanel } from '../panels/history.ts';
import { obsmonDashboardLinks } from '../panels/node-link.ts';
import { readingsTable } from '../panels/readings.ts';

export const NODE_HISTORY_UID = 'obsmon-node-history';

/** `WHERE` of every query: the node (regex, so Grafana escapes the value; `::tag`, so no field can shadow the tag) and the dashboard's time range. */
const WHERE = 'WHERE "node"::tag =~ /^$node$/ AND $timeFilter';

/**
 * Mean per interval of `fields` (`field AS name`) of one measurement of docs/storage.md's schema;
 * series named by `alias` ($col = the AS name, $tag_<t> = a tag).
 */
function influx(
  measurement: string,
  fields: ReadonlyArray<[string, string]>,
  refId: string,
  groupBy: string[] = [],
  alias = '$col',
): InfluxQlQueryBuilder {
  const select = fields.map(([field, name]) => `mean("${field}") AS "${name}"`).join(', ');
  const group = ['time($__interval)', ...groupBy.map((t) => `"${t}"`)].join(', ');
  return new InfluxQlQueryBuilder(`SELECT ${select} FROM "${measurement}" ${WHERE} GROUP BY ${group} fill(none)`)
    .datasource(INFLUXQL.ref)
    .alias(alias)
    .refId(refId);
}

/**
 * Node history from InfluxDB (every accepted report, kept as long as the database keeps it), in
 * InfluxQL, which InfluxDB 1.x speaks natively and 2.x/3.x through the v1 API. The dashed levels come
 * from Prometheus (obsmon_threshold) in the same panels, so they show as far back as Prometheus keeps them.
 */
export function nodeHistoryDashboard(): DashboardBuilder {
  const panel = (options: Omit<Parameters<typeof historyPanel>[0], 'datasource'>) =>
    historyPanel({ ...options, datasource: options.levels === undefined ? INFLUXQL.ref : MIXED }, '$node').interval(
      '10s',
    );
  return new DashboardBuilder('obsmon / Node history (InfluxDB)')
    .uid(NODE_HISTORY_UID)
    .description(
      "Every report of one node from InfluxDB, with the node's warning and error levels dashed, and the latest reports.",
    )
    .tags(['obsmon'])
    .links(obsmonDashboardLinks())
    .refresh('1m')
    .time({ from: 'now-24h', to: 'now' })
    .tooltip(DashboardCursorSync.Crosshair)
    .withVariable(
      new QueryVariableBuilder('node')
        .label('Node')
        .datasource(INFLUXQL.ref)
        .query('SHOW TAG VALUES FROM "obsmon_node" WITH KEY = "node"')
        .definition('SHOW TAG VALUES FROM "obsmon_node" WITH KEY = "node"')
        .refresh(VariableRefresh.OnDashboardLoad)
        .sort(VariableSort.AlphabeticalAsc),
    )
    .withRow(new RowBuilder('History'))
    .withPanel(
      panel({
        title: 'CPU',
        unit: 'percent',
        max: 100,
        series: ['cpu'],
        levels: 'cpu',
        targets: [influx('obsmon_node', [['cpu', 'cpu']], 'A')],
      }),
    )
    .withPanel(
      panel({
        title: 'Memory',
        unit: 'percent',
        max: 100,
        series: ['memory'],
        levels: 'mem',
        targets: [influx('obsmon_node', [['mem', 'memory']], 'A')],
      }),
    )
    .withPanel(
      panel({
        title: 'Disk per mount',
        unit: 'percent',
        max: 100,
        series: [],
        levels: 'disk',
        // The root filesystem is the unqualified `disk` of obsmon_node; other mounts are obsmon_mount.
        targets: [
          influx('obsmon_node', [['disk', '/']], 'A'),
          influx('obsmon_mount', [['disk', 'disk']], 'B', ['mount'], '$tag_mount'),
        ],
      }),
    )
    .withPanel(
      panel({
        title: 'Network (all interfaces)',
        unit: 'Bps',
        series: ['in', 'out'],
        targets: [
          influx(
            'obsmon_node',
            [
              ['rx', 'in'],
              ['tx', 'out'],
            ],
            'A',
          ),
        ],
      }),
    )
    .withPanel(
      panel({
        title: 'Load',
        unit: 'short',
        series: ['load1', 'load5', 'load15'],
        targets: [
          influx(
            'obsmon_node',
            [
              ['load1', 'load1'],
              ['load5', 'load5'],
              ['load15', 'load15'],
            ],
            'A',
          ),
        ],
      }),
    )
    .withPanel(
      panel({
        title: 'Swap',
        unit: 'percent',
        max: 100,
        series: ['swap'],
        levels: 'swap',
        targets: [influx('obsmon_node', [['swap', 'swap']], 'A')],
      }),
    )
    .withRow(new RowBuilder('Latest reports'))
    .withPanel(
      readingsTable(
        INFLUXQL.ref,
        [
          new InfluxQlQueryBuilder(
            `SELECT "cpu", "mem", "disk", "rx", "tx" FROM "obsmon_node" ${WHERE} ORDER BY time DESC LIMIT 20`,
          )
            .datasource(INFLUXQL.ref)
            .resultFormat('table')
            .refId('A'),
        ],
        ['cpu', 'mem', 'disk', 'rx', 'tx'],
        false,
      ).description('The last 20 reports as the bridge stored them; disk % is the root filesystem.'),
    );
}
