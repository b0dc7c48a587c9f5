import { DashboardLinkBuilder, DashboardLinkType } from '@grafana/grafana-foundation-sdk/dashboard';

/** UID of the Prometheus node detail dashboard. */
export const NODE_DASHBOARD_UID = 'obsmon-node';

/**
 * A data link to the node detail of the node named by `nodeMacro` (a data-link macro such as
 * `__field.name`), keeping the time range. The SDK types field links as dashboard links; Grafana
 * reads only title, url and targetBlank from them.
 */
export function nodeDetailLink(nodeMacro: string): DashboardLinkBuilder {
  return new DashboardLinkBuilder(`Node detail of \${${nodeMacro}}`)
    .type(DashboardLinkType.Link)
    .url(`/d/${NODE_DASHBOARD_UID}/obsmon-node?var-node=\${${nodeMacro}}&\${__url_time_range}`)
    .targetBlank(false);
}

/** Links in every dashboard's header to the other obsmon dashboards (by tag), keeping time and variables. */
export function obsmonDashboardLinks(): DashboardLinkBuilder[] {
  return [
    new DashboardLinkBuilder('obsmon')
      .type(DashboardLinkType.Dashboards)
      .tags(['obsmon'])
      .asDropdown(true)
      .includeVars(true)
      .keepTime(true),
  ];
}
