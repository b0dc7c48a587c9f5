import type { FeedState } from './bridge/bridge-feed.ts';
import { statusRank } from '../protocol/status.ts';
import type { Reading } from './readings.ts';

/** Metrics that get a cluster-wide "worst" value pair. */
export const WORST_METRICS = [
  { key: 'cpu', label: 'CPU usage' },
  { key: 'mem', label: 'memory in use' },
  { key: 'disk', label: 'disk usage' },
] as const;

/** The bridge link: answered or not. NOT READY in the device state says the same to rts2-mon's title. */
/** Names of the device-wide values made here; node aliases must not produce them. */
export const DEVICE_VALUE_NAMES: readonly string[] = [
  'bridge_ok',
  'nodes',
  'nodes_down',
  'nodes_ignored',
  ...WORST_METRICS.flatMap(({ key }) => [`worst_${key}`, `worst_${key}_node`]),
];

export function bridgeReading(feed: FeedState, url: string): Reading {
  return {
    id: 'device:bridge_ok',
    name: 'bridge_ok',
    type: 'bool',
    display: 'plain',
    description: `[bool] the obsmon bridge ${url} answers`,
    value: feed.ok,
    status: feed.polls === 0 ? 'stale' : feed.ok ? 'ok' : 'error',
    alert: {
      warning: `obsmon bridge ${url} unreachable: ${feed.error ?? ''}`,
      error: `obsmon bridge ${url} unreachable: ${feed.error ?? ''}`,
      ok: `obsmon bridge ${url} answers again`,
    },
  };
}

export function countReadings(feed: FeedState, perNode: readonly Reading[]): Reading[] {
  const down = perNode.filter((r) => r.id.endsWith(':up') && r.value === false).length;
  const count = (name: string, description: string, value: number): Reading => ({
    id: `device:${name}`,
    name,
    type: 'integer',
    display: 'plain',
    description,
    value,
    status: 'ok',
  });
  return [
    count('nodes', '[count] nodes shown by this device', feed.nodes.size),
    count('nodes_down', '[count] nodes without a report within the bridge --down-after', down),
    count('nodes_ignored', '[count] nodes not shown because of --max-nodes', feed.ignoredNodes),
  ];
}

/**
 * Per metric the worst current figure over all shown nodes (most severe status first; stale figures are no candidates, then the
 * highest value) and where it is, so one line of rts2-mon answers "is anything full?".
 */
export function worstReadings(perNode: readonly Reading[]): Reading[] {
  const readings: Reading[] = [];
  for (const { key, label } of WORST_METRICS) {
    let worst: Reading | undefined;
    for (const r of perNode) {
      if (r.metric?.key !== key || r.status === 'stale' || r.figure === undefined || Number.isNaN(r.figure)) continue;
      const rank = statusRank(r.status) - (worst === undefined ? 0 : statusRank(worst.status));
      if (worst === undefined || rank > 0 || (rank === 0 && r.figure > (worst.figure ?? Number.NaN))) worst = r;
    }
    readings.push(
      {
        id: `device:worst_${key}`,
        name: `worst_${key}`,
        type: 'double',
        display: 'percents',
        description: `[%] highest ${label} of all shown nodes`,
        value: worst?.figure ?? Number.NaN,
        status: worst?.status ?? 'stale',
      },
      {
        id: `device:worst_${key}_node`,
        name: `worst_${key}_node`,
        type: 'string',
        display: 'plain',
        description: key === 'disk' ? `node:mount with the highest ${label}` : `node with the highest ${label}`,
        value: worst?.metric?.where ?? '',
        status: 'ok',
      },
    );
  }
  return readings;
}
