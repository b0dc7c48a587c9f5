import { standardKey } from '../../protocol/keys.ts';

/**
 * Prometheus names of the protocol's standard keys. Values stay in the protocol's units: percent
 * stays percent (named `_percent`), so the thresholds file, the alert rules, the dashboards and the
 * wire all use the same numbers.
 */
const NAMES: Readonly<Record<string, { name: string; help: string }>> = {
  cpu: { name: 'obsmon_node_cpu_usage_percent', help: 'CPU busy, percent of all cores' },
  iowait: { name: 'obsmon_node_cpu_iowait_percent', help: 'CPU idle waiting for disk I/O, percent of all cores' },
  steal: { name: 'obsmon_node_cpu_steal_percent', help: 'CPU time stolen by the hypervisor, percent of all cores' },
  mem: { name: 'obsmon_node_memory_usage_percent', help: 'Memory in use (total minus available), percent' },
  swap: { name: 'obsmon_node_swap_usage_percent', help: 'Swap in use, percent' },
  disk: { name: 'obsmon_node_disk_usage_percent', help: 'Filesystem usage, percent, per mount' },
  inodes: { name: 'obsmon_node_inodes_usage_percent', help: 'Filesystem inodes in use, percent, per mount' },
  disk_ro: {
    name: 'obsmon_node_filesystem_readonly',
    help: 'Filesystem mounted read-only (1) or writable (0), per mount',
  },
  rx: { name: 'obsmon_node_network_receive_bytes_per_second', help: 'Network receive rate, bytes per second' },
  tx: { name: 'obsmon_node_network_transmit_bytes_per_second', help: 'Network transmit rate, bytes per second' },
  rx_errors: {
    name: 'obsmon_node_network_receive_errors_per_second',
    help: 'Network receive errors, packets per second',
  },
  rx_drops: { name: 'obsmon_node_network_receive_drops_per_second', help: 'Network receive drops, packets per second' },
  tx_errors: {
    name: 'obsmon_node_network_transmit_errors_per_second',
    help: 'Network transmit errors, packets per second',
  },
  tx_drops: {
    name: 'obsmon_node_network_transmit_drops_per_second',
    help: 'Network transmit drops, packets per second',
  },
  load1: { name: 'obsmon_node_load1', help: 'Load average over 1 minute' },
  load5: { name: 'obsmon_node_load5', help: 'Load average over 5 minutes' },
  load15: { name: 'obsmon_node_load15', help: 'Load average over 15 minutes' },
  procs: { name: 'obsmon_node_processes', help: 'Number of processes' },
  proc_count: {
    name: 'obsmon_node_named_processes',
    help: 'Processes running under a watched name (label process); 0 = not running',
  },
  temp: { name: 'obsmon_node_temperature_celsius', help: 'Temperature, degrees Celsius, per sensor' },
  gpu: { name: 'obsmon_node_gpu_utilization_percent', help: 'GPU utilisation, percent, per GPU' },
  gpu_mem: { name: 'obsmon_node_gpu_memory_usage_percent', help: 'GPU memory in use, percent, per GPU' },
  gpu_temp: { name: 'obsmon_node_gpu_temperature_celsius', help: 'GPU temperature, degrees Celsius, per GPU' },
  uptime: { name: 'obsmon_node_uptime_seconds', help: 'Time since boot, seconds' },
  clock_sync_age: {
    name: 'obsmon_node_clock_sync_age_seconds',
    help: 'Time since the clock was last synchronised over NTP, seconds',
  },
  probe_up: { name: 'obsmon_node_probe_up', help: 'Probe of an agentless device: 1 it answered, 0 it did not' },
  probe_rtt: {
    name: 'obsmon_node_probe_rtt_seconds',
    help: 'Probe round-trip time, seconds (TCP connect or HTTP response headers)',
  },
};

/** Custom keys share one metric, keyed by label, so no agent can invent a metric name. */
export const CUSTOM_METRIC = { name: 'obsmon_node_custom', help: 'Custom gauge reported by an agent (label key)' };

export interface ExposedMetric {
  readonly name: string;
  readonly help: string;
  /** Label carrying the qualifier (`mount`, `interface`, `sensor`, ...). */
  readonly qualifierLabel: string;
}

export const STANDARD_METRICS: ReadonlyMap<string, ExposedMetric> = new Map(
  Object.entries(NAMES).map(([key, { name, help }]) => [
    key,
    { name, help, qualifierLabel: standardKey(key)!.qualifierLabel },
  ]),
);

/**
 * Label value for an unqualified sample: the key's default qualifier (the root filesystem is `/`),
 * else "". The decoder folds `disk@/` into `disk`, so these never expose one series twice.
 */
export function defaultQualifier(key: string): string {
  return standardKey(key)?.defaultQualifier ?? '';
}
