import type { Builder, Dataquery } from '@grafana/grafana-foundation-sdk/cog';
import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/common';

/**
 * A raw InfluxQL target of Grafana's InfluxDB datasource (the SDK has no InfluxDB module). Grafana
 * substitutes `$timeFilter`, `$__interval` and dashboard variables before sending it to `/query`.
 */
export interface InfluxQlQuery {
  refId?: string;
  hide?: boolean;
  datasource?: DataSourceRef;
  /** Always true: the query text is sent as written, not built from the visual editor's parts. */
  rawQuery: true;
  query: string;
  resultFormat: 'time_series' | 'table';
  /** Series name in the legend; `$tag_<tag>` and `$col` are replaced per series. */
  alias?: string;
  _implementsDataqueryVariant(): void;
}

export class InfluxQlQueryBuilder implements Builder<Dataquery> {
  private readonly internal: InfluxQlQuery;

  constructor(query: string) {
    this.internal = { rawQuery: true, query, resultFormat: 'time_series', _implementsDataqueryVariant() {} };
  }

  build(): InfluxQlQuery {
    return this.internal;
  }

  refId(refId: string): this {
    this.internal.refId = refId;
    return this;
  }

  datasource(datasource: DataSourceRef): this {
    this.internal.datasource = datasource;
    return this;
  }

  resultFormat(format: InfluxQlQuery['resultFormat']): this {
    this.internal.resultFormat = format;
    return this;
  }

  alias(alias: string): this {
    this.internal.alias = alias;
    return this;
  }
}
