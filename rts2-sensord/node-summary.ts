import { statusRank, worst as worse, type Status } from '../protocol/status.ts';
import type { Reading } from './readings.ts';
import { NO_DATA } from './value-text.ts';

/** One node's readings as nodeReadings made them, with the node's alias and description parts. */
export interface NodeGroup {
  readonly node: string;
  readonly alias: string;
  readonly group: string;
  readonly readings: readonly Reading[];
}

const whole = (r: Reading | undefined) =>
  r?.figure === undefined || Number.isNaN(r.figure) ? NO_DATA : `${Math.round(r.figure)}%`;

/**
 * `--node-values summary`: one value per node (`<alias>`) instead of seven or more, so a fleet fits
 * rts2-mon's list (39 nodes: 39 lines, not 213). It reads `cpu 12%  mem 40%  disk 91% /data` (the
 * fullest disk), or `down: sent no report for 75 s`; it carries the flags of the node's worst
 * reading, so the line turns yellow or red exactly when one of the full values would.
 */
export function nodeSummaryReading(g: NodeGroup): Reading {
  const up = g.readings.find((r) => r.id.endsWith(':up'));
  const figure = (key: string) => g.readings.find((r) => r.metric?.key === key && r.id.endsWith(':' + key + '@'));
  let fullest: Reading | undefined;
  for (const r of g.readings) {
    if (r.metric?.key !== 'disk' || r.figure === undefined || Number.isNaN(r.figure)) continue;
    if (
      fullest === undefined ||
      statusRank(r.status) > statusRank(fullest.status) ||
      (r.status === fullest.status && r.figure > (fullest.figure ?? 0))
    )
      fullest = r;
  }
  const first = g.readings[0];
  // A node not up is exactly as its `_up` (its figures are stale); an up node as its worst current
  // figure: a stale reading says nothing, so it never wins over a current one.
  let worst: Status = up?.status ?? 'stale';
  if (up?.value === true)
    for (const r of g.readings) if (r.status !== 'stale') worst = worst === 'stale' ? r.status : worse(worst, r.status);
  let text: string;
  const maintenance = first?.node?.maintenance;
  if (maintenance !== undefined) {
    text = `maintenance until ${new Date(maintenance.until * 1000).toISOString().slice(0, 16).replace('T', ' ')} UTC${maintenance.reason === '' ? '' : `: ${maintenance.reason}`}`;
  } else if (up?.value !== true) {
    text =
      up?.status === 'stale' || up?.alert === undefined
        ? NO_DATA
        : `down: ${up.alert.warning.slice(g.node.length + 1)}`;
  } else {
    const where = fullest?.metric?.where.slice(g.node.length + 1) ?? '';
    text = `cpu ${whole(figure('cpu'))}  mem ${whole(figure('mem'))}  disk ${whole(fullest)}${where === '' ? '' : ` ${where}`}`;
  }
  return {
    id: `node:${g.node}:summary`,
    name: g.alias,
    type: 'string',
    display: 'plain',
    description: `[node] ${g.node} (group ${g.group}): cpu, memory, fullest disk; --node-values full shows every figure`,
    value: text,
    status: worst,
    ...(first?.node === undefined ? {} : { node: first.node }),
  };
}
