import type { BridgeMetric, KnownNode } from './bridge/bridge-feed.ts';
import { levelStatus, sameLevels, type Levels, type Status } from '../protocol/status.ts';
import type { DeviceLevels } from './levels.ts';
import type { AlertTexts, Reading } from './readings.ts';
import { mountPart, nodeAlias } from './value-names.ts';
import { percentText, probeUpText, rateText, roundTripText, secondsText } from './value-text.ts';

export interface NodeContext {
  /** Local clock, ms. */
  readonly now: number;
  readonly downAfterMs: number;
  /** The last poll of the bridge succeeded; otherwise "down" means "we cannot see", not "it is down". */
  readonly bridgeOk: boolean;
  /** The last time the device could not see the bridge (FeedState.lastOutage). */
  readonly lastOutage?: { readonly from: number; readonly until: number };
  readonly levels: DeviceLevels;
  /** The node's alias in value names (NodeAliases); nodeAlias when not given. */
  readonly alias?: (node: string) => string;
}

interface Shown {
  readonly suffix: string;
  readonly label: string;
  readonly unit: string;
  readonly text: (value: number) => string;
}

/** The series shown per node; others (swap, load, temp, per-CPU, per-interface) stay in Prometheus. */
function shown(m: BridgeMetric): Shown | undefined {
  const q = m.qualifier;
  switch (m.key) {
    case 'cpu':
      return q === null ? { suffix: 'cpu', label: 'cpu', unit: '%', text: percentText } : undefined;
    case 'mem':
      return q === null ? { suffix: 'mem', label: 'memory', unit: '%', text: percentText } : undefined;
    case 'disk':
      return q === null
        ? { suffix: 'disk', label: 'disk /', unit: '%', text: percentText }
        : { suffix: `disk_${mountPart(q)}`, label: `disk ${q}`, unit: '%', text: percentText };
    case 'rx':
      return q === null ? { suffix: 'net_in', label: 'network in', unit: 'B/s', text: rateText } : undefined;
    case 'tx':
      return q === null ? { suffix: 'net_out', label: 'network out', unit: 'B/s', text: rateText } : undefined;
    // Agentless devices (inventory probe:): whether the device answers, and how fast.
    case 'probe_up':
      return q === null ? { suffix: 'probe_up', label: 'probe up', unit: '', text: probeUpText } : undefined;
    case 'probe_rtt':
      return q === null
        ? { suffix: 'probe_rtt', label: 'probe round trip', unit: 's', text: roundTripText }
        : undefined;
    default:
      return undefined;
  }
}

/**
 * The status of a current figure: the bridge's, judged once at its ingest. Only where the device's
 * own levels differ from those the bridge judged with (an rts2-mon edit the bridge has not loaded yet,
 * a device given another file, a bridge too old to send them) does it apply its own, so an edit
 * re-flags values at once.
 */
function figureStatus(m: BridgeMetric, levels: Levels | undefined): Status {
  const judgedWith =
    m.warning === undefined || m.error === undefined
      ? 'unknown'
      : m.warning === null || m.error === null
        ? undefined
        : { warning: m.warning, error: m.error };
  return judgedWith !== 'unknown' && sameLevels(levels, judgedWith) ? m.status : levelStatus(levels, m.value);
}

const amount = (value: number, unit: string) =>
  unit === '%'
    ? `${value.toFixed(1)}%`
    : unit === 's'
      ? `${Number(value.toPrecision(3))} s`
      : `${Math.round(value)} ${unit}`;

/**
 * The values of one node: reachability, time since its last report, and its cpu, memory, disk and
 * network figures. A figure is shown only while current (the node is up and the series reported
 * within the bridge's `--down-after`); otherwise it reads `--`, so old data never looks fresh.
 * Figures are strings formatted for an operator (`12.0%`, `977 kB/s`, `5 s`); the number behind
 * each is kept in `figure` for the worst values.
 */
export function nodeReadings(known: KnownNode, ctx: NodeContext): Reading[] {
  const { view } = known;
  const prefix = (ctx.alias ?? nodeAlias)(view.node);
  const node = {
    name: view.node,
    critical: view.critical,
    ...(view.maintenance == null ? {} : { maintenance: view.maintenance }),
  };
  const seenAt = view.lastSeenSecondsAgo === null ? undefined : known.fetchedAt - view.lastSeenSecondsAgo * 1000;
  const ageSeconds = seenAt === undefined ? Number.NaN : Math.max(0, Math.round((ctx.now - seenAt) / 1000));
  const up = view.up && seenAt !== undefined && ctx.now - seenAt <= ctx.downAfterMs;
  const downStatus: Status = view.critical ? 'error' : 'warning';
  const silence = Number.isNaN(ageSeconds) ? 'has never reported' : `sent no report for ${ageSeconds} s`;
  // A node that was up when the device lost sight of the bridge, silent since: its agent may simply
  // not have reconnected to the bridge yet. It gets one --down-after from the bridge's return before
  // it is called down, so a bridge outage longer than --down-after does not flag every live node.
  const outage = ctx.lastOutage;
  const unjudged =
    !up &&
    seenAt !== undefined &&
    outage !== undefined &&
    outage.from - seenAt <= ctx.downAfterMs &&
    ctx.now - outage.until < ctx.downAfterMs;

  const readings: Reading[] = [
    {
      id: `node:${view.node}:up`,
      name: `${prefix}_up`,
      type: 'bool',
      display: 'plain',
      description: `[bool] ${view.node} reports arrive (group ${view.group}${view.critical ? ', critical' : ''})`,
      value: up,
      status: !ctx.bridgeOk || unjudged ? 'stale' : up ? 'ok' : downStatus,
      node,
      alert: { warning: `${view.node} ${silence}`, error: `${view.node} ${silence}`, ok: `${view.node} reports again` },
    },
    {
      id: `node:${view.node}:age`,
      name: `${prefix}_age`,
      type: 'string',
      display: 'plain',
      description: `[s] ${view.node} time since its last report`,
      value: secondsText(ageSeconds),
      figure: ageSeconds,
      status: 'ok',
      node,
    },
  ];

  for (const m of view.metrics) {
    const s = shown(m);
    if (s === undefined) continue;
    const fresh = up && m.status !== 'stale';
    const levels = ctx.levels.levels(view.node, view.group, m.key);
    const subject = `${view.node} ${s.label}`;
    const value = fresh ? m.value : Number.NaN;
    let alert: AlertTexts | undefined;
    if (levels !== undefined) {
      const now = amount(m.value, s.unit);
      alert = {
        warning: `${subject} ${now} at or above warning level ${amount(levels.warning, s.unit)}`,
        error: `${subject} ${now} at or above error level ${amount(levels.error, s.unit)}`,
        ok: `${subject} back to ${now}, below warning level ${amount(levels.warning, s.unit)}`,
      };
    }
    readings.push({
      id: `node:${view.node}:${m.key}@${m.qualifier ?? ''}`,
      name: `${prefix}_${s.suffix}`,
      type: 'string',
      display: 'plain',
      description: `[${s.unit}] ${subject}`,
      value: s.text(value),
      figure: value,
      status: fresh ? figureStatus(m, levels) : 'stale',
      node,
      metric: { key: m.key, where: m.qualifier === null ? view.node : `${view.node}:${m.qualifier}` },
      ...(alert === undefined ? {} : { alert }),
    });
  }
  // In a maintenance window (the bridge's node view says so) nothing of the node is a warning or an
  // error: no flags, no messages, no HW ERROR; the state text counts it as "in maintenance".
  return view.maintenance == null ? readings : readings.map((r) => ({ ...r, status: 'stale' }));
}
