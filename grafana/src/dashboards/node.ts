import { BigValueTextMode } from '@grafana/grafana-foundation-sdk/common';
import {
  DashboardBuilder,
  DashboardCursorSync,
  QueryVariableBuilder,
  RowBuilder,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';
import { CUSTOM_METRIC } from '../../../protocol/metric-names.ts';
import { PROMETHEUS } from '../datasources.ts';
import { historyPanel } from '../panels/history.ts';
import { NODE_DASHBOARD_UID, obsmonDashboardLinks } from '../panels/node-link.ts';
import { readingsTable } from '../panels/readings.ts';
import { instant, statPanel } from '../panels/stats.ts';
import { STATUS_MAPPING, UP_MAPPING } from '../palette.ts';
import { nodeSeries, partSeries, perMetric, selector, statusNumber, valueSeries } from '../selectors.ts';

const NODE = '$node';
const on = (metric: string, ...matchers: string[]) => selector(metric, `node="${NODE}"`, ...matchers);

/** A range query for a history chart, one series per legend. */
function range(expr: string, legend: string, refId: string): DataqueryBuilder {
  return new DataqueryBuilder().datasource(PROMETHEUS.ref).expr(expr).legendFormat(legend).refId(refId);
}

/** The node's worst status over CPU, memory, swap, disk and temperature, as the status page computes it. */
function worstStatus(): string {
  // A `metric` label per key keeps `or` from dropping all but the first (same labels otherwise).
  return perMetric(['cpu', 'mem', 'swap', 'disk', 'temp'], (key) => statusNumber(key, 'node', `node="${NODE}"`));
}

/** Node detail from Prometheus (the bridge's newest values, scraped every 15 s): now, history, readings. */
export function nodeDashboard(): DashboardBuilder {
  const readings = [
    `max(${valueSeries('cpu', `node="${NODE}"`)})`,
    `max(${on(nodeSeries('mem'))})`,
    `max(${on(nodeSeries('disk'))})`,
    `max(${valueSeries('rx', `node="${NODE}"`)})`,
    `max(${valueSeries('tx', `node="${NODE}"`)})`,
  ].map((expr, i) =>
    new DataqueryBuilder().datasource(PROMETHEUS.ref).expr(expr).format(PromQueryFormat.Table).refId(`r${i}`),
  );
  return (
    new DashboardBuilder('obsmon / Node detail')
      .uid(NODE_DASHBOARD_UID)
      .description(
        "One node: its values now, their history with the node's warning and error levels dashed, and the latest readings.",
      )
      .tags(['obsmon'])
      .links(obsmonDashboardLinks())
      .refresh('30s')
      .time({ from: 'now-6h', to: 'now' })
      .tooltip(DashboardCursorSync.Crosshair)
      .withVariable(
        new QueryVariableBuilder('node')
          .label('Node')
          .datasource(PROMETHEUS.ref)
          .query({ query: 'label_values(obsmon_node_info, node)', refId: 'node' })
          .definition('label_values(obsmon_node_info, node)')
          .refresh(VariableRefresh.OnTimeRangeChanged)
          .sort(VariableSort.AlphabeticalAsc),
      )
      .withRow(new RowBuilder('Now'))
      .withPanel(statPanel('Up', instant(`max(${on('obsmon_node_up')})`), { mappings: [UP_MAPPING] }))
      .withPanel(statPanel('Status', instant(`max(${worstStatus()})`), { mappings: [STATUS_MAPPING] }))
      .withPanel(
        statPanel('Last report', instant(`time() - max(${on('obsmon_node_last_report_timestamp_seconds')})`), {
          unit: 's',
        }),
      )
      .withPanel(statPanel('Clock skew', instant(`max(${on('obsmon_node_clock_skew_seconds')})`), { unit: 's' }))
      .withPanel(
        statPanel('Group', instant(`max by (group) (${on('obsmon_node_info')})`, 'A', '{{group}}'), {}).textMode(
          BigValueTextMode.Name,
        ),
      )
      .withPanel(
        statPanel(
          'Critical',
          instant(`max by (critical) (${on('obsmon_node_info')})`, 'A', '{{critical}}'),
          {},
        ).textMode(BigValueTextMode.Name),
      )
      .withRow(new RowBuilder('History'))
      .withPanel(
        historyPanel(
          {
            title: 'CPU',
            unit: 'percent',
            max: 100,
            datasource: PROMETHEUS.ref,
            series: ['cpu'],
            levels: 'cpu',
            targets: [range(`max(${valueSeries('cpu', `node="${NODE}"`)})`, 'cpu', 'A')],
          },
          NODE,
        ),
      )
      .withPanel(
        historyPanel(
          {
            title: 'Memory',
            unit: 'percent',
            max: 100,
            datasource: PROMETHEUS.ref,
            series: ['memory'],
            levels: 'mem',
            targets: [range(`max(${on(nodeSeries('mem'))})`, 'memory', 'A')],
          },
          NODE,
        ),
      )
      .withPanel(
        historyPanel(
          {
            title: 'Disk per mount',
            unit: 'percent',
            max: 100,
            datasource: PROMETHEUS.ref,
            series: [],
            levels: 'disk',
            targets: [range(`max by (mount) (${on(nodeSeries('disk'))})`, '{{mount}}', 'A')],
          },
          NODE,
        ),
      )
      .withPanel(
        historyPanel(
          {
            title: 'Network (all interfaces)',
            unit: 'Bps',
            datasource: PROMETHEUS.ref,
            series: ['in', 'out'],
            targets: [
              range(`max(${valueSeries('rx', `node="${NODE}"`)})`, 'in', 'A'),
              range(`max(${valueSeries('tx', `node="${NODE}"`)})`, 'out', 'B'),
            ],
          },
          NODE,
        ),
      )
      .withPanel(
        historyPanel(
          {
            title: 'Load',
            unit: 'short',
            datasource: PROMETHEUS.ref,
            series: ['load1', 'load5', 'load15'],
            targets: ['load1', 'load5', 'load15'].map((name, i) =>
              range(`max(${on(nodeSeries(name))})`, name, String.fromCharCode(65 + i)),
            ),
          },
          NODE,
        ),
      )
      .withPanel(
        historyPanel(
          {
            title: 'Swap',
            unit: 'percent',
            max: 100,
            datasource: PROMETHEUS.ref,
            series: ['swap'],
            levels: 'swap',
            targets: [range(`max(${on(nodeSeries('swap'))})`, 'swap', 'A')],
          },
          NODE,
        ),
      )
      // filesystem-health agents: inodes per mount, and read-only mounts (1) beside them.
      .withPanel(
        historyPanel(
          {
            title: 'Inodes per mount, read-only mounts',
            unit: 'percent',
            max: 100,
            datasource: PROMETHEUS.ref,
            series: [],
            targets: [
              range(`max by (mount) (${on(nodeSeries('inodes'))})`, '{{mount}}', 'A'),
              range(`100 * max by (mount) (${on(nodeSeries('disk_ro'))}) > 0`, 'read-only {{mount}}', 'B'),
            ],
          },
          NODE,
        ),
      )
      // network-errors agents: errors and drops, all interfaces.
      .withPanel(
        historyPanel(
          {
            title: 'Network errors and drops',
            unit: 'pps',
            datasource: PROMETHEUS.ref,
            series: ['rx errors', 'rx drops', 'tx errors', 'tx drops'],
            targets: ['rx_errors', 'rx_drops', 'tx_errors', 'tx_drops'].map((key, i) =>
              range(
                `max(${on(nodeSeries(key))})`,
                ['rx errors', 'rx drops', 'tx errors', 'tx drops'][i]!,
                String.fromCharCode(65 + i),
              ),
            ),
          },
          NODE,
        ),
      )
      // cpu-wait and cpu-cores agents: time lost to disk waits and to the hypervisor; each core.
      .withPanel(
        historyPanel(
          {
            title: 'CPU I/O wait and steal',
            unit: 'percent',
            datasource: PROMETHEUS.ref,
            series: ['iowait', 'steal'],
            targets: [
              range(`max(${on(nodeSeries('iowait'))})`, 'iowait', 'A'),
              range(`max(${on(nodeSeries('steal'))})`, 'steal', 'B'),
            ],
          },
          NODE,
        ),
      )
      .withPanel(
        historyPanel(
          {
            title: 'CPU per core',
            unit: 'percent',
            max: 100,
            datasource: PROMETHEUS.ref,
            series: [],
            targets: [range(`max by (cpu) (${on(partSeries('cpu'))})`, 'core {{cpu}}', 'A')],
          },
          NODE,
        ),
      )
      // The temperature collector (on by default where sensors exist): the hottest sensor.
      .withPanel(
        historyPanel(
          {
            title: 'Temperature',
            unit: 'celsius',
            datasource: PROMETHEUS.ref,
            series: ['hottest'],
            levels: 'temp',
            targets: [range(`max(${on(nodeSeries('temp'))})`, 'hottest', 'A')],
          },
          NODE,
        ),
      )
      // gpu agents: each NVIDIA GPU by nvidia-smi index.
      .withPanel(
        historyPanel(
          {
            title: 'GPU utilisation and memory',
            unit: 'percent',
            max: 100,
            datasource: PROMETHEUS.ref,
            series: [],
            targets: [
              range(`max by (gpu) (${on(partSeries('gpu'))})`, 'GPU {{gpu}} busy', 'A'),
              range(`max by (gpu) (${on(partSeries('gpu_mem'))})`, 'GPU {{gpu}} memory', 'B'),
            ],
          },
          NODE,
        ),
      )
      .withPanel(
        historyPanel(
          {
            title: 'GPU temperature',
            unit: 'celsius',
            datasource: PROMETHEUS.ref,
            series: [],
            targets: [range(`max by (gpu) (${on(partSeries('gpu_temp'))})`, 'GPU {{gpu}}', 'A')],
          },
          NODE,
        ),
      )
      // clock-sync agents (Linux with systemd-timesyncd): ObsmonNodeClockNotSynced.
      .withPanel(
        historyPanel(
          {
            title: 'Time since the last NTP synchronisation',
            unit: 's',
            datasource: PROMETHEUS.ref,
            series: ['since sync'],
            targets: [range(`max(${on(nodeSeries('clock_sync_age'))})`, 'since sync', 'A')],
          },
          NODE,
        ),
      )
      // The agent's --process names (0 = not running, ObsmonNodeProcessNotRunning) and its --textfile-dir values.
      .withPanel(
        historyPanel(
          {
            title: 'Watched processes',
            unit: 'short',
            datasource: PROMETHEUS.ref,
            series: [],
            targets: [range(`max by (process) (${on(partSeries('proc_count'))})`, '{{process}}', 'A')],
          },
          NODE,
        ),
      )
      .withPanel(
        historyPanel(
          {
            title: 'Custom values',
            unit: 'short',
            datasource: PROMETHEUS.ref,
            series: [],
            targets: [range(`max by (key, device) (${on(CUSTOM_METRIC.name)})`, '{{key}} {{device}}', 'A')],
          },
          NODE,
        ),
      )
      .withRow(new RowBuilder('Latest readings'))
      .withPanel(
        readingsTable(
          PROMETHEUS.ref,
          readings,
          readings.map((_, i) => `Value #r${i}`),
          true,
        )
          .interval('15s')
          .description(
            'Prometheus samples (every 15 s); disk % is the fullest mount. The InfluxDB history dashboard lists every report.',
          ),
      )
  );
}
