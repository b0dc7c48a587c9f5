import type { AcceptedReport } from '../state/node-table.ts';
import { locate, NODE_MEASUREMENT } from './schema.ts';

/** Commas, spaces and equals signs are the separators of line protocol; in tag values they need `\`. */
export function escapeTag(value: string): string {
  return value.replace(/[, =]/g, (c) => `\\${c}`);
}

/**
 * Whole seconds: writes use `precision=s`. A fractional agent time is floored, so a re-sent report
 * lands on the same point and overwrites it (idempotent replay); two reports of one node within the
 * same second keep the later one.
 */
export function lineTimestamp(timestamp: number): number {
  return Math.floor(timestamp);
}

/**
 * The one serializer of the store: a report becomes one line per measurement and qualifier, e.g.
 * `obsmon_node,node=ccd01 cpu=12.5,mem=43.1 1763884800` and
 * `obsmon_mount,node=ccd01,mount=/data disk=75.3 1763884800`. All fields are floats (a value written
 * `1` is a float in line protocol), so a field never changes type between reports.
 */
export function reportToLines(report: AcceptedReport): string[] {
  const groups = new Map<string, { head: string; fields: string[] }>();
  for (const sample of report.samples) {
    const where = locate(sample.key, sample.qualifier);
    const tag = where.qualifierTag;
    const head =
      tag === undefined
        ? `${NODE_MEASUREMENT},node=${escapeTag(report.node)}`
        : `${where.measurement},node=${escapeTag(report.node)},${tag.name}=${escapeTag(tag.value)}`;
    let group = groups.get(head);
    if (group === undefined) {
      group = { head, fields: [] };
      groups.set(head, group);
    }
    // String(n) is the shortest round-trip form; exponents (1e-7, 1.5e+21) are valid line-protocol floats.
    group.fields.push(`${where.field}=${String(sample.value)}`);
  }
  const time = lineTimestamp(report.timestamp);
  return [...groups.values()].map((g) => `${g.head} ${g.fields.join(',')} ${time}`);
}

/** The timestamp (last field) of a line this module wrote, unix seconds; NaN for anything else. */
export function timestampOfLine(line: string): number {
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}
