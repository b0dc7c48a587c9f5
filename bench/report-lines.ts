import { encodeReport, type Sample } from '../protocol/line.ts';

/** Node names of the simulated population: `node000001` ... (stable, sortable, 10 characters). */
export function nodeName(i: number): string {
  return `node${String(i).padStart(6, '0')}`;
}

/**
 * The values the exporter sends with its default collectors on a typical Linux machine (one root
 * filesystem, summed network): the protocol's example report. `k` varies the values between reports,
 * within the built-in levels (config/thresholds.yaml), as in a healthy fleet: a value crossing a level
 * is a status event, which a real fleet has a few of per hour, not one per report.
 */
export function standardSamples(k: number): Sample[] {
  // A multiplicative hash per key: cheap, deterministic, and the keys do not move together.
  const r = (m: number, salt: number) => (((k + salt * 7919) * 2654435761) >>> 0) % m;
  return [
    { key: 'cpu', value: r(800, 1) / 10 },
    { key: 'mem', value: 20 + r(600, 2) / 10 },
    { key: 'disk', value: 40 + r(390, 3) / 10 },
    { key: 'rx', value: 100_000 + r(900_000, 4) },
    { key: 'tx', value: 5_000 + r(90_000, 5) },
    { key: 'load1', value: r(400, 6) / 100 },
    { key: 'procs', value: 200 + r(200, 7) },
  ];
}

/** One standard report of node `i` at `timestamp` (unix seconds), as a protocol line with its `\n`. */
export function standardLine(i: number, timestamp: number, k = i): string {
  return `${encodeReport({ node: nodeName(i), timestamp, samples: standardSamples(k) })}\n`;
}

/** The same values as a Pushgateway body (text format), named as the bridge exposes them. */
export function pushgatewayBody(k: number): string {
  const s = standardSamples(k);
  const names = [
    'obsmon_node_cpu_usage_percent',
    'obsmon_node_memory_usage_percent',
    'obsmon_node_disk_usage_percent{mount="/"}',
    'obsmon_node_network_receive_bytes_per_second',
    'obsmon_node_network_transmit_bytes_per_second',
    'obsmon_node_load1',
    'obsmon_node_processes',
  ];
  return names.map((n, i) => `# TYPE ${n.replace(/\{.*/, '')} gauge\n${n} ${s[i]!.value}\n`).join('');
}
