import {
  DashboardBuilder,
  DashboardCursorSync,
  QueryVariableBuilder,
  RowBuilder,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PROMETHEUS } from '../datasources.ts';
import { historyPanel } from '../panels/history.ts';
import { obsmonDashboardLinks } from '../panels/node-link.ts';
import { instant, statPanel } from '../panels/stats.ts';
import { UP_MAPPING } from '../palette.ts';
import { nodeSeries } from '../selectors.ts';

export const BRIDGE_UID = 'obsmon-bridge';

const INSTANCE = 'instance=~"$instance"';
const JOB = 'job="obsmon-bridge"';

function range(expr: string, legend: string, refId: string): DataqueryBuilder {
  return new DataqueryBuilder().datasource(PROMETHEUS.ref).expr(expr).legendFormat(legend).refId(refId);
}

/** A chart of the bridge's own series (no levels), one line per legend. */
function chart(title: string, unit: string, targets: DataqueryBuilder[], description?: string) {
  const panel = historyPanel({ title, unit, datasource: PROMETHEUS.ref, series: [], targets }, '');
  return description === undefined ? panel : panel.description(description);
}

/** obsmon itself: ingest, rejections, agents, storage, spool and the bridge process. */
export function bridgeDashboard(): DashboardBuilder {
  return (
    new DashboardBuilder('obsmon / Bridge')
      .uid(BRIDGE_UID)
      .description('The bridges themselves: what agents send, what is rejected and why, storage writes and the spool.')
      .tags(['obsmon'])
      .links(obsmonDashboardLinks())
      .refresh('30s')
      .time({ from: 'now-6h', to: 'now' })
      .tooltip(DashboardCursorSync.Crosshair)
      .withVariable(
        new QueryVariableBuilder('instance')
          .label('Bridge')
          .datasource(PROMETHEUS.ref)
          .query({ query: `label_values(up{${JOB}}, instance)`, refId: 'instance' })
          .definition(`label_values(up{${JOB}}, instance)`)
          .refresh(VariableRefresh.OnTimeRangeChanged)
          .sort(VariableSort.AlphabeticalAsc)
          .multi(true)
          .includeAll(true)
          .allValue('.*')
          .current({ text: 'All', value: '$__all', selected: true }),
      )
      .withRow(new RowBuilder('Now'))
      .withPanel(statPanel('Scraped', instant(`min(up{${JOB}, ${INSTANCE}})`), { mappings: [UP_MAPPING] }))
      .withPanel(statPanel('Agents connected', instant(`sum(obsmon_bridge_connections{${INSTANCE}})`)))
      .withPanel(statPanel('Nodes known', instant(`sum(obsmon_bridge_nodes{${INSTANCE}})`)))
      .withPanel(
        statPanel('Storage up', instant(`min(obsmon_bridge_storage_up{${INSTANCE}})`), { mappings: [UP_MAPPING] }),
      )
      .withPanel(statPanel('Spool', instant(`sum(obsmon_bridge_spool_bytes{${INSTANCE}})`), { unit: 'bytes' }))
      .withPanel(
        statPanel(
          'Spool limit used',
          instant(`max(obsmon_bridge_spool_bytes{${INSTANCE}} / obsmon_bridge_spool_max_bytes{${INSTANCE}})`),
          { unit: 'percentunit' },
        ),
      )
      .withRow(new RowBuilder('Ingest'))
      .withPanel(
        chart(
          'Ingest rate',
          'reqps',
          [
            range(`sum by (instance) (instance:obsmon_bridge_lines:rate5m{${INSTANCE}})`, 'lines {{instance}}', 'A'),
            range(
              `sum by (instance) (instance:obsmon_bridge_reports_accepted:rate5m{${INSTANCE}})`,
              'accepted {{instance}}',
              'B',
            ),
          ],
          'Lines received and reports accepted per second (5-minute rates, recording rules of aggregates.yml).',
        ),
      )
      .withPanel(
        chart(
          'Rejected lines by reason',
          'reqps',
          [
            range(
              `sum by (reason) (instance_reason:obsmon_bridge_rejected_lines:rate5m{${INSTANCE}})`,
              '{{reason}}',
              'A',
            ),
            range(
              `sum by (reason) (rate(obsmon_bridge_dropped_samples_total{${INSTANCE}}[$__rate_interval]))`,
              'dropped sample: {{reason}}',
              'B',
            ),
          ],
          'Reasons are listed in docs/protocol.md; the bridge log has a rate-limited sample per reason.',
        ),
      )
      .withPanel(
        chart('Agent connections', 'short', [
          range(`sum by (instance) (obsmon_bridge_connections{${INSTANCE}})`, 'open {{instance}}', 'A'),
          range(
            `sum by (reason) (rate(obsmon_bridge_connections_rejected_total{${INSTANCE}}[$__rate_interval]))`,
            'refused/s: {{reason}}',
            'B',
          ),
        ]),
      )
      .withPanel(
        chart('Nodes and series', 'short', [
          range(`sum by (instance) (obsmon_bridge_nodes{${INSTANCE}})`, 'nodes {{instance}}', 'A'),
          range(`sum by (instance) (obsmon_bridge_series{${INSTANCE}})`, 'series {{instance}}', 'B'),
        ]),
      )
      .withRow(new RowBuilder('Storage'))
      .withPanel(
        chart('Storage write latency', 's', [
          range(
            `histogram_quantile(0.5, sum by (le) (rate(obsmon_bridge_storage_write_duration_seconds_bucket{${INSTANCE}}[$__rate_interval])))`,
            'p50',
            'A',
          ),
          range(
            `histogram_quantile(0.99, sum by (le) (rate(obsmon_bridge_storage_write_duration_seconds_bucket{${INSTANCE}}[$__rate_interval])))`,
            'p99',
            'B',
          ),
        ]),
      )
      .withPanel(
        chart('Points written and lost', 'short', [
          range(
            `sum(rate(obsmon_bridge_storage_points_written_total{${INSTANCE}}[$__rate_interval]))`,
            'written/s',
            'A',
          ),
          range(
            `sum by (reason) (increase(obsmon_bridge_storage_points_dropped_total{${INSTANCE}}[$__rate_interval]))`,
            'dropped: {{reason}}',
            'B',
          ),
          range(
            `sum(increase(obsmon_bridge_storage_points_dead_lettered_total{${INSTANCE}}[$__rate_interval]))`,
            'dead-lettered',
            'C',
          ),
        ]),
      )
      .withPanel(
        chart(
          'Write failures by reason',
          'reqps',
          [
            range(
              `sum by (reason) (rate(obsmon_bridge_storage_write_failures_total{${INSTANCE}}[$__rate_interval]))`,
              '{{reason}}',
              'A',
            ),
          ],
          'docs/storage.md explains each reason.',
        ),
      )
      .withPanel(
        chart('Spool', 'bytes', [
          range(`sum by (instance) (obsmon_bridge_spool_bytes{${INSTANCE}})`, 'spooled {{instance}}', 'A'),
          range(`sum by (instance) (obsmon_bridge_spool_max_bytes{${INSTANCE}})`, 'limit {{instance}}', 'B'),
          range(
            `sum by (instance) (obsmon_bridge_storage_pending_points{${INSTANCE}})`,
            'pending points {{instance}}',
            'C',
          ),
        ]),
      )
      .withPanel(
        chart('Oldest spooled point', 's', [
          // 0 while the spool is empty (its oldest timestamp is then 0, which would read as 56 years).
          range(
            `max by (instance) ((time() - obsmon_bridge_spool_oldest_timestamp_seconds{${INSTANCE}}) * (obsmon_bridge_spool_points{${INSTANCE}} > bool 0))`,
            'age {{instance}}',
            'A',
          ),
        ]),
      )
      // The bridge probes the devices that cannot run an agent (inventory probe:, docs/operations.md).
      .withRow(new RowBuilder('Devices without an agent'))
      .withPanel(
        chart(
          'Devices answering their probe',
          'none',
          [range(`max by (node) (${nodeSeries('probe_up')}{${INSTANCE}})`, '{{node}}', 'A')],
          '1 while the device answers its TCP or HTTP probe, 0 when it does not (ObsmonNodeProbeDown).',
        ),
      )
      .withPanel(
        chart(
          'Probe round trip',
          's',
          [range(`max by (node) (${nodeSeries('probe_rtt')}{${INSTANCE}})`, '{{node}}', 'A')],
          'Time to connect (TCP) or to the response headers (HTTP); its levels are probe_rtt in thresholds.yaml (ObsmonNodeProbeSlow).',
        ),
      )
      .withRow(new RowBuilder('Process'))
      .withPanel(
        chart('Memory (RSS)', 'bytes', [
          range(`process_resident_memory_bytes{${JOB}, ${INSTANCE}}`, '{{instance}}', 'A'),
        ]),
      )
      .withPanel(
        chart('CPU', 'percentunit', [
          range(`rate(process_cpu_seconds_total{${JOB}, ${INSTANCE}}[$__rate_interval])`, '{{instance}}', 'A'),
        ]),
      )
      .withPanel(
        chart('Event loop lag p99', 's', [
          range(`nodejs_eventloop_lag_p99_seconds{${JOB}, ${INSTANCE}}`, '{{instance}}', 'A'),
        ]),
      )
  );
}
