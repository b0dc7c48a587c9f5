import type { AcceptedReport } from '../state/node-table.ts';
import { numberText } from '../../lib/number-text.ts';
import { locate, NODE_MEASUREMENT } from './schema.ts';

const TAG_SPECIAL = /[, =]/;

/** Commas, spaces and equals signs are the separators of line protocol; in tag values they need `\`. */
export function escapeTag(value: string): string {
  // Node names and qualifiers rarely hold one: testing first spares the replace and its new string.
  return TAG_SPECIAL.test(value) ? value.replace(/[, =]/g, (c) => `\\${c}`) : value;
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
 * `obsmon_mount,node=ccd01,mount=/data disk=75.3 1763884800`, in the order of each line's first
 * sample. All fields are floats (a value written `1` is a float in line protocol), so a field never
 * changes type between reports. Values are written as String(n) writes them (numberText), the shortest round-trip form; exponents (1e-7,
 * 1.5e+21) are valid line-protocol floats.
 */
export function reportToLines(report: AcceptedReport): string[] {
  const samples = report.samples;
  const tail = ` ${lineTimestamp(report.timestamp)}`;
  const node = escapeTag(report.node);
  if (samples.length === 0) return [];
  // The usual report is node-wide values only: one line built in one pass, no grouping. Its parts
  // are joined once into a flat string: `+=` and templates would build a tree of string pieces
  // (a cons string) that whoever first reads its characters has to copy flat, which cost the
  // writer about 1 µs per line when it copied the line into its batch buffer.
  const parts: string[] = [NODE_MEASUREMENT, ',node=', node, ' '];
  for (let i = 0; i < samples.length; i += 1) {
    const sample = samples[i]!;
    if (sample.qualifier !== undefined) return groupedLines(samples, node, tail);
    parts.push(i === 0 ? sample.key : `,${sample.key}`, '=', numberText(sample.value));
  }
  parts.push(tail);
  return [parts.join('')];
}

/** Lines of a report with qualified samples: grouped by measurement and tags, in first-seen order. */
function groupedLines(samples: AcceptedReport['samples'], node: string, tail: string): string[] {
  const groups = new Map<string, string>();
  for (const sample of samples) {
    const where = locate(sample.key, sample.qualifier);
    const tag = where.qualifierTag;
    const head =
      tag === undefined
        ? `${NODE_MEASUREMENT},node=${node}`
        : `${where.measurement},node=${node},${tag.name}=${escapeTag(tag.value)}`;
    const field = `${where.field}=${numberText(sample.value)}`;
    const fields = groups.get(head);
    groups.set(head, fields === undefined ? field : `${fields},${field}`);
  }
  const lines: string[] = [];
  for (const [head, fields] of groups) lines.push([head, ' ', fields, tail].join(''));
  return lines;
}

/** The timestamp (last field) of a line this module wrote, unix seconds; NaN for anything else. */
export function timestampOfLine(line: string): number {
  // Every spooled line passes here: read the usual whole-second tail digit by digit, without a substring.
  let value = 0;
  let scale = 1;
  let at = line.length - 1;
  for (; at >= 0 && scale <= 1e15; at -= 1) {
    const digit = line.charCodeAt(at) - 48;
    if (digit < 0 || digit > 9) break;
    value += digit * scale;
    scale *= 10;
  }
  if (at >= 0 && scale > 1 && scale <= 1e15 && line.charCodeAt(at) === 32) return value;
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}
