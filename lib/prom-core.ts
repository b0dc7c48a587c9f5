/**
 * prom-client's Registry, Gauge and Counter without its index module. The index also loads the default
 * process metrics, the OpenTelemetry API, Histogram, Summary, the Pushgateway and the cluster aggregator:
 * measured here, importing it costs a bundled process about 4.5 MB of RSS, these three files 0.1 MB. The
 * agent (which must stay small, exporter/README.md) imports them from here and the index only with
 * `--metrics-port` (lib/runtime-metrics.ts); they are the very classes the index exports (one module per
 * file), so code using both mixes them freely.
 */
export { default as Counter } from 'prom-client/lib/counter.js';
export { default as Gauge } from 'prom-client/lib/gauge.js';
export { default as Registry } from 'prom-client/lib/registry.js';
