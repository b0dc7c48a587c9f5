import type { Builder, Dataquery } from '@grafana/grafana-foundation-sdk/cog';
import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/common';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';

/** Column titles of the LAMOST page's readings table (the status page uses the same). */
export const READING_COLUMNS = ['cpu %', 'memory %', 'disk %', 'nic in B/s', 'nic out B/s'] as const;

/**
 * The table of the latest readings, newest first: time, cpu, memory %, disk %, nic in, nic out.
 * `renames` maps the columns the query produces to READING_COLUMNS (in that order);
 * `merge` joins one table per query on their time column first.
 */
export function readingsTable(
  datasource: DataSourceRef,
  targets: ReadonlyArray<Builder<Dataquery>>,
  renames: readonly string[],
  merge: boolean,
): TablePanel {
  const renameByName = Object.fromEntries(renames.map((from, i) => [from, READING_COLUMNS[i] ?? from]));
  const panel = new TablePanel().title('Latest readings').datasource(datasource).decimals(1).span(24).height(9);
  for (const target of targets) panel.withTarget(target);
  if (merge) panel.withTransformation({ id: 'merge', options: {} });
  return panel
    .withTransformation({
      id: 'organize',
      options: { renameByName, indexByName: { Time: 0, ...Object.fromEntries(renames.map((r, i) => [r, i + 1])) } },
    })
    .withTransformation({ id: 'sortBy', options: { sort: [{ field: 'Time', desc: true }] } })
    .withTransformation({ id: 'limit', options: { limitField: 20 } })
    .overrideByName('nic in B/s', [{ id: 'unit', value: 'Bps' }])
    .overrideByName('nic out B/s', [{ id: 'unit', value: 'Bps' }]);
}
