/**
 * The standard keys of protocol v1: fixed meaning and unit, so every agent and every consumer agrees.
 * Anything else matching CUSTOM_KEY_PATTERN is a custom gauge.
 */
export interface StandardKey {
  readonly key: string;
  readonly description: string;
  readonly unit: 'percent' | 'bytes_per_second' | 'packets_per_second' | 'count' | 'celsius' | 'seconds' | 'load';
  /** Valid range; a value outside it is rejected as `bad_value`. */
  readonly min: number;
  readonly max: number;
  /** Decimals an encoder writes; enough for monitoring, short enough for the 128-byte budget. */
  readonly decimals: number;
  /** What a `key@qualifier` names, e.g. the mount of `disk@/data`; also the label name downstream. */
  readonly qualifierLabel: string;
  /** What the plain key stands for (`disk` is the mount `/`): `key@<this>` is the same series as `key`. */
  readonly defaultQualifier?: string;
}

const percent = (key: string, description: string, qualifierLabel = 'device'): StandardKey => ({
  key,
  description,
  unit: 'percent',
  min: 0,
  max: 100,
  decimals: 1,
  qualifierLabel,
});

export const STANDARD_KEYS: readonly StandardKey[] = [
  percent('cpu', 'CPU busy, all cores', 'cpu'),
  percent('iowait', 'CPU idle waiting for disk I/O, all cores', 'cpu'),
  percent('steal', 'CPU time a hypervisor gave to other guests, all cores', 'cpu'),
  percent('mem', 'Memory in use (total minus available)'),
  percent('swap', 'Swap in use'),
  { ...percent('disk', 'Filesystem usage; unqualified = the root/system filesystem', 'mount'), defaultQualifier: '/' },
  {
    ...percent('inodes', 'Filesystem inodes in use; unqualified = the root/system filesystem', 'mount'),
    defaultQualifier: '/',
  },
  {
    key: 'disk_ro',
    description: 'Filesystem mounted read-only (1) or writable (0); unqualified = the root/system filesystem',
    unit: 'count',
    min: 0,
    max: 1,
    decimals: 0,
    qualifierLabel: 'mount',
    defaultQualifier: '/',
  },
  {
    key: 'rx',
    description: 'Network receive rate; unqualified = all non-loopback interfaces',
    unit: 'bytes_per_second',
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
    decimals: 0,
    qualifierLabel: 'interface',
  },
  {
    key: 'tx',
    description: 'Network transmit rate; unqualified = all non-loopback interfaces',
    unit: 'bytes_per_second',
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
    decimals: 0,
    qualifierLabel: 'interface',
  },
  ...(['rx_errors', 'rx_drops', 'tx_errors', 'tx_drops'] as const).map((key): StandardKey => ({
    key,
    description: `${key.startsWith('rx') ? 'Receive' : 'Transmit'} ${key.endsWith('errors') ? 'errors' : 'drops'}; unqualified = all non-loopback interfaces`,
    unit: 'packets_per_second',
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
    decimals: 2,
    qualifierLabel: 'interface',
  })),
  {
    key: 'load1',
    description: 'Load average over 1 minute',
    unit: 'load',
    min: 0,
    max: 1e9,
    decimals: 2,
    qualifierLabel: 'device',
  },
  {
    key: 'load5',
    description: 'Load average over 5 minutes',
    unit: 'load',
    min: 0,
    max: 1e9,
    decimals: 2,
    qualifierLabel: 'device',
  },
  {
    key: 'load15',
    description: 'Load average over 15 minutes',
    unit: 'load',
    min: 0,
    max: 1e9,
    decimals: 2,
    qualifierLabel: 'device',
  },
  {
    key: 'procs',
    description: 'Number of processes',
    unit: 'count',
    min: 0,
    max: 1e9,
    decimals: 0,
    qualifierLabel: 'device',
  },
  // Qualified by a process name so that a watched process that is not running is a value (0), not a missing key.
  {
    key: 'proc_count',
    description: 'Processes running under one name; unqualified = all watched names together',
    unit: 'count',
    min: 0,
    max: 1e9,
    decimals: 0,
    qualifierLabel: 'process',
  },
  {
    key: 'temp',
    description: 'Temperature; unqualified = the hottest sensor',
    unit: 'celsius',
    min: -273.15,
    max: 1000,
    decimals: 1,
    qualifierLabel: 'sensor',
  },
  // Per GPU (`gpu@0`), as nvidia-smi numbers them; `gpu` is the utilisation, like `cpu`.
  percent('gpu', 'GPU utilisation; `gpu@N` one GPU, unqualified = all GPUs together', 'gpu'),
  percent('gpu_mem', 'GPU memory in use; `gpu_mem@N` one GPU, unqualified = all GPUs together', 'gpu'),
  {
    key: 'gpu_temp',
    description: 'GPU temperature; `gpu_temp@N` one GPU, unqualified = the hottest GPU',
    unit: 'celsius',
    min: -273.15,
    max: 1000,
    decimals: 0,
    qualifierLabel: 'gpu',
  },
  {
    key: 'uptime',
    description: 'Time since boot',
    unit: 'seconds',
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
    decimals: 0,
    qualifierLabel: 'device',
  },
  {
    key: 'clock_sync_age',
    description: 'Time since the clock was last synchronised (NTP)',
    unit: 'seconds',
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
    decimals: 0,
    qualifierLabel: 'device',
  },
  // Agentless devices: the bridge's own probes report these (bridge/probes/); an agent may too.
  {
    key: 'probe_up',
    description: 'Probe result: 1 the device answered, 0 it did not',
    unit: 'count',
    min: 0,
    max: 1,
    decimals: 0,
    qualifierLabel: 'device',
  },
  {
    key: 'probe_rtt',
    description: 'Probe round-trip time (TCP connect, or HTTP request to response headers)',
    unit: 'seconds',
    min: 0,
    max: 3600,
    decimals: 4,
    qualifierLabel: 'device',
  },
];

const BY_KEY = new Map(STANDARD_KEYS.map((k) => [k.key, k]));

export function standardKey(key: string): StandardKey | undefined {
  return BY_KEY.get(key);
}

/** Field names of the original LAMOST agents, accepted so those agents keep working unchanged. */
export const LAMOST_ALIASES: ReadonlyMap<string, string> = new Map([
  ['cpu_percent', 'cpu'],
  ['memory_percent', 'mem'],
  ['disk_percent', 'disk'],
  ['nic_in', 'rx'],
  ['nic_out', 'tx'],
]);

/** The canonical key of a key as sent: a LAMOST alias becomes its standard key, anything else is itself. */
export function canonicalKey(key: string): string {
  return LAMOST_ALIASES.get(key) ?? key;
}

/** Custom gauges: lower-case, starts with a letter, at most 32 characters. */
export const CUSTOM_KEY_PATTERN = /^[a-z][a-z0-9_]{0,31}$/;

/**
 * Names a custom key may not take, because downstream they already name something else in the same
 * place: `node` and every qualifier label (`device`, `mount`, ...) are InfluxDB tags beside the key
 * fields (a field of the same name hides the tag from every `WHERE`), and `time` is InfluxDB's own
 * column (a field `time` is dropped). In Prometheus and RTS2 keys are only ever label values and
 * de-duplicated value names, so they add nothing here.
 */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(
  ['node', 'time', ...STANDARD_KEYS.map((k) => k.qualifierLabel)].filter((name) => standardKey(name) === undefined),
);

/** What a canonical key is: standard, a valid custom gauge, a reserved name, or not a key at all. */
export function keyKind(key: string): 'standard' | 'custom' | 'reserved' | 'invalid' {
  if (standardKey(key) !== undefined) return 'standard';
  if (!CUSTOM_KEY_PATTERN.test(key)) return 'invalid';
  return RESERVED_KEYS.has(key) ? 'reserved' : 'custom';
}

/**
 * The qualifier that identifies a series: none when it names the key's default (`disk@/` is the
 * series of `disk`), so aliases of one series are one series everywhere downstream.
 */
export function seriesQualifier(key: string, qualifier: string | undefined): string | undefined {
  return qualifier !== undefined && qualifier === standardKey(key)?.defaultQualifier ? undefined : qualifier;
}

/** Node names: host-name-like, at most 64 characters. Anything else is rejected, never escaped. */
export const NODE_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,63}$/;

/** Qualifiers: visible ASCII except `=`, at most 64 characters (mounts like `C:` or `/data`, NIC names). */
export const QUALIFIER_PATTERN = /^[\x21-\x3c\x3e-\x7e]{1,64}$/;

export const MAX_QUALIFIER_LENGTH = 64;
