import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/common';

/**
 * The provisioned datasources. Dashboards and alert rules refer to them by these UIDs only; the
 * provisioning file (provisioning.ts) is generated from the same table, so a UID cannot drift.
 */
export interface ProvisionedDatasource {
  readonly name: string;
  readonly ref: Required<Pick<DataSourceRef, 'type' | 'uid'>>;
  /** URL as seen from the Grafana container: the docker-compose service name and port. */
  readonly url: string;
}

export const PROMETHEUS: ProvisionedDatasource = {
  name: 'obsmon Prometheus',
  ref: { type: 'prometheus', uid: 'obsmon-prometheus' },
  url: 'http://prometheus:9090',
};

/** InfluxQL: native on InfluxDB 1.x, the v1-compatibility API (bucket = database) on 2.x and 3.x. */
export const INFLUXQL: ProvisionedDatasource = {
  name: 'obsmon InfluxDB (InfluxQL)',
  ref: { type: 'influxdb', uid: 'obsmon-influxql' },
  url: 'http://influxdb:8086',
};

/** Flux, InfluxDB 2.x only: for Explore; the dashboards use InfluxQL, which every InfluxDB speaks. */
export const FLUX: ProvisionedDatasource = {
  name: 'obsmon InfluxDB (Flux)',
  ref: { type: 'influxdb', uid: 'obsmon-flux' },
  url: 'http://influxdb:8086',
};

/** Grafana's built-in "-- Mixed --" datasource: a panel whose targets each name their own. */
export const MIXED: DataSourceRef = { type: 'datasource', uid: '-- Mixed --' };

/** Database (InfluxDB 1.x) or bucket (2.x, through its v1 DBRP mapping) the bridge writes to. */
export const INFLUX_DATABASE = 'obsmon';
/** Organisation of the InfluxDB 2 set up by docker-compose. */
export const INFLUX_ORG = 'obsmon';
