import { standardKey } from './keys.ts';

/**
 * The Prometheus names of the protocol's standard keys: the one table the bridge's /metrics and
 * remote write, the Grafana dashboards and docs/api.md are held to (test/unit/docs/metric-catalogue.test.ts).
 * Values stay in the protocol's units: percent stays percent (named `_percent`), so the thresholds
 * file, the alert rules, the dashboards and the wire all use the same numbers.
 *
 * One aggregation level per name: the node-wide value (`cpu`, all cores) and the per-part values
 * (`cpu@3`, one core) have different names, so `sum by (node)` or `avg` over one name never mixes a
 * total with its parts. Keys whose plain form is one of the parts (`disk` is the mount `/`,
 * protocol/keys.ts `defaultQualifier`) keep one name for every mount.
 */
interface KeyNames {
  /** The unqualified (node-wide) value; for a key with a default qualifier, every qualifier too. */
  readonly node: { readonly name: string; readonly help: string };
  /** `key@qualifier` of a key without a default qualifier: one part (core, interface, sensor, ...). */
  readonly part?: { readonly name: string; readonly help: string };
}

const device = (name: string, what: string) => ({ name, help: `${what}, per device (label device)` });
const perInterface = (direction: 'receive' | 'transmit', what: string, unit: string): KeyNames => ({
  node: {
    name: `obsmon_node_network_${direction}_${what}_per_second`,
    help: `Network ${direction} ${what === 'bytes' ? 'rate' : what}, ${unit} per second, all non-loopback interfaces`,
  },
  part: {
    name: `obsmon_node_network_interface_${direction}_${what}_per_second`,
    help: `Network ${direction} ${what === 'bytes' ? 'rate' : what}, ${unit} per second, per interface (label interface)`,
  },
});

const NAMES = new Map<string, KeyNames>([
  [
    'cpu',
    {
      node: { name: 'obsmon_node_cpu_usage_percent', help: 'CPU busy, percent of all cores' },
      part: { name: 'obsmon_node_cpu_core_usage_percent', help: 'CPU busy, percent, per core (label cpu)' },
    },
  ],
  [
    'iowait',
    {
      node: { name: 'obsmon_node_cpu_iowait_percent', help: 'CPU idle waiting for disk I/O, percent of all cores' },
      part: {
        name: 'obsmon_node_cpu_core_iowait_percent',
        help: 'CPU idle waiting for disk I/O, percent, per core (label cpu)',
      },
    },
  ],
  [
    'steal',
    {
      node: { name: 'obsmon_node_cpu_steal_percent', help: 'CPU time stolen by the hypervisor, percent of all cores' },
      part: {
        name: 'obsmon_node_cpu_core_steal_percent',
        help: 'CPU time stolen by the hypervisor, percent, per core (label cpu)',
      },
    },
  ],
  [
    'mem',
    {
      node: { name: 'obsmon_node_memory_usage_percent', help: 'Memory in use (total minus available), percent' },
      part: device('obsmon_node_device_memory_usage_percent', 'Memory in use, percent'),
    },
  ],
  [
    'swap',
    {
      node: { name: 'obsmon_node_swap_usage_percent', help: 'Swap in use, percent' },
      part: device('obsmon_node_device_swap_usage_percent', 'Swap in use, percent'),
    },
  ],
  ['disk', { node: { name: 'obsmon_node_disk_usage_percent', help: 'Filesystem usage, percent, per mount' } }],
  [
    'inodes',
    { node: { name: 'obsmon_node_inodes_usage_percent', help: 'Filesystem inodes in use, percent, per mount' } },
  ],
  [
    'disk_ro',
    {
      node: {
        name: 'obsmon_node_filesystem_readonly',
        help: 'Filesystem mounted read-only (1) or writable (0), per mount',
      },
    },
  ],
  ['rx', perInterface('receive', 'bytes', 'bytes')],
  ['tx', perInterface('transmit', 'bytes', 'bytes')],
  ['rx_errors', perInterface('receive', 'errors', 'packets')],
  ['rx_drops', perInterface('receive', 'drops', 'packets')],
  ['tx_errors', perInterface('transmit', 'errors', 'packets')],
  ['tx_drops', perInterface('transmit', 'drops', 'packets')],
  [
    'load1',
    {
      node: { name: 'obsmon_node_load1', help: 'Load average over 1 minute' },
      part: device('obsmon_node_device_load1', 'Load average over 1 minute'),
    },
  ],
  [
    'load5',
    {
      node: { name: 'obsmon_node_load5', help: 'Load average over 5 minutes' },
      part: device('obsmon_node_device_load5', 'Load average over 5 minutes'),
    },
  ],
  [
    'load15',
    {
      node: { name: 'obsmon_node_load15', help: 'Load average over 15 minutes' },
      part: device('obsmon_node_device_load15', 'Load average over 15 minutes'),
    },
  ],
  [
    'procs',
    {
      node: { name: 'obsmon_node_processes', help: 'Number of processes' },
      part: device('obsmon_node_device_processes', 'Number of processes'),
    },
  ],
  [
    'proc_count',
    {
      node: { name: 'obsmon_node_watched_processes', help: 'Processes running under any watched name, together' },
      part: {
        name: 'obsmon_node_named_processes',
        help: 'Processes running under a watched name (label process); 0 = not running',
      },
    },
  ],
  [
    'temp',
    {
      node: { name: 'obsmon_node_temperature_celsius', help: 'Temperature of the hottest sensor, degrees Celsius' },
      part: {
        name: 'obsmon_node_sensor_temperature_celsius',
        help: 'Temperature, degrees Celsius, per sensor (label sensor)',
      },
    },
  ],
  // The agent sends per GPU (`gpu@0`); an unqualified value stands for all GPUs of the node together.
  [
    'gpu',
    {
      node: { name: 'obsmon_node_gpus_utilization_percent', help: 'GPU utilisation, percent, all GPUs together' },
      part: { name: 'obsmon_node_gpu_utilization_percent', help: 'GPU utilisation, percent, per GPU (label gpu)' },
    },
  ],
  [
    'gpu_mem',
    {
      node: { name: 'obsmon_node_gpus_memory_usage_percent', help: 'GPU memory in use, percent, all GPUs together' },
      part: { name: 'obsmon_node_gpu_memory_usage_percent', help: 'GPU memory in use, percent, per GPU (label gpu)' },
    },
  ],
  [
    'gpu_temp',
    {
      node: { name: 'obsmon_node_gpus_temperature_celsius', help: 'Temperature of the hottest GPU, degrees Celsius' },
      part: {
        name: 'obsmon_node_gpu_temperature_celsius',
        help: 'GPU temperature, degrees Celsius, per GPU (label gpu)',
      },
    },
  ],
  [
    'uptime',
    {
      node: { name: 'obsmon_node_uptime_seconds', help: 'Time since boot, seconds' },
      part: device('obsmon_node_device_uptime_seconds', 'Time since boot, seconds'),
    },
  ],
  [
    'clock_sync_age',
    {
      node: {
        name: 'obsmon_node_clock_sync_age_seconds',
        help: 'Time since the clock was last synchronised over NTP, seconds',
      },
      part: device('obsmon_node_device_clock_sync_age_seconds', 'Time since the clock was last synchronised, seconds'),
    },
  ],
  [
    'probe_up',
    {
      node: { name: 'obsmon_node_probe_up', help: 'Probe of an agentless device: 1 it answered, 0 it did not' },
      part: device('obsmon_node_device_probe_up', 'Probe result: 1 answered, 0 did not'),
    },
  ],
  [
    'probe_rtt',
    {
      node: {
        name: 'obsmon_node_probe_rtt_seconds',
        help: 'Probe round-trip time, seconds (TCP connect or HTTP response headers)',
      },
      part: device('obsmon_node_device_probe_rtt_seconds', 'Probe round-trip time, seconds'),
    },
  ],
]);

/** One Prometheus metric name of the node series. */
export interface NodeMetric {
  /** Protocol key it carries; `undefined` for the custom gauges' shared name. */
  readonly key: string | undefined;
  readonly name: string;
  readonly help: string;
  /**
   * Label of the qualifier, if its series carry one: always for a part name and for a key with a
   * default qualifier (`mount="/"` for plain `disk`); never for a node-wide name.
   */
  readonly qualifierLabel: string | undefined;
}

/** Custom keys share one metric, keyed by label, so no agent can invent a metric name. */
export const CUSTOM_METRIC: NodeMetric = {
  key: undefined,
  name: 'obsmon_node_custom',
  help: 'Custom gauge reported by an agent (label key)',
  qualifierLabel: 'device',
};

interface KeyMetrics {
  readonly node: NodeMetric;
  readonly part: NodeMetric;
}

const BY_KEY: ReadonlyMap<string, KeyMetrics> = new Map(
  [...NAMES].map(([key, names]) => {
    const label = standardKey(key)!.qualifierLabel;
    const whole = standardKey(key)!.defaultQualifier !== undefined;
    const node: NodeMetric = { key, ...names.node, qualifierLabel: whole ? label : undefined };
    return [key, { node, part: names.part === undefined ? node : { key, ...names.part, qualifierLabel: label } }];
  }),
);

/** Every name of a standard key, in exposition order (each key's node-wide name, then its part name), then the custom one. */
export const NODE_METRICS: readonly NodeMetric[] = [
  ...[...BY_KEY.values()].flatMap((m) => (m.part === m.node ? [m.node] : [m.node, m.part])),
  CUSTOM_METRIC,
];

/** The node-wide name of a standard key (`cpu` → obsmon_node_cpu_usage_percent), or undefined. */
export function nodeMetric(key: string): NodeMetric | undefined {
  return BY_KEY.get(key)?.node;
}

/** The per-part name of a standard key (`cpu@3` → obsmon_node_cpu_core_usage_percent), or undefined. */
export function partMetric(key: string): NodeMetric | undefined {
  return BY_KEY.get(key)?.part;
}

/** The metric a sample is exposed under: by key and by whether it is qualified; custom keys share one. */
export function metricOf(key: string, qualifier: string | undefined): NodeMetric {
  const m = BY_KEY.get(key);
  return m === undefined ? CUSTOM_METRIC : qualifier === undefined ? m.node : m.part;
}

/**
 * Label value for an unqualified sample: the key's default qualifier (the root filesystem is `/`),
 * else "". The decoder folds `disk@/` into `disk`, so these never expose one series twice.
 */
export function defaultQualifier(key: string): string {
  return standardKey(key)?.defaultQualifier ?? '';
}

/** `name{node="…"[,label="…"]}` of a sample: the series head /metrics and remote write share. */
export function seriesHead(nodeLabel: string, key: string, qualifier: string | undefined): string {
  const metric = metricOf(key, qualifier);
  const q = qualifier ?? defaultQualifier(key);
  const ql = q === '' ? '' : `,${metric.qualifierLabel ?? 'device'}="${escapeLabelValue(q)}"`;
  return metric === CUSTOM_METRIC
    ? `${metric.name}{${nodeLabel},key="${key}"${ql}}`
    : `${metric.name}{${nodeLabel}${ql}}`;
}

/** Label values are agent text: escape as the exposition format requires (`\`, `"`, newline). */
export function escapeLabelValue(value: string): string {
  return /[\\"\n]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : value;
}
