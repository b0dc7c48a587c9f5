import type { Status } from '../../protocol/status.ts';
import type { AcceptedReport } from '../state/node-table.ts';

/**
 * The JSON of a stream `report` event (the ReportEvent of ./report-event.ts), written as text in one
 * pass: the object form (pairs, Object.fromEntries, JSON.stringify) cost more than the rest of a
 * report's ingest. The same text JSON.stringify gives for that object: keys start with a letter, so
 * none is integer-like and insertion order is kept; protocol keys need no escaping, qualifiers and
 * node names go through JSON.stringify; non-finite numbers are `null`.
 */
export function reportEventJson(report: AcceptedReport, flagged: ReadonlyMap<string, Status>): string {
  let json = `{"node":${JSON.stringify(report.node)},"timestamp":${number(report.timestamp)},"values":{`;
  const samples = report.samples;
  for (let i = 0; i < samples.length; i += 1) {
    const s = samples[i]!;
    const key = s.qualifier === undefined ? `"${s.key}"` : JSON.stringify(`${s.key}@${s.qualifier}`);
    json += `${i === 0 ? '' : ','}${key}:${number(s.value)}`;
  }
  json += '}';
  if (flagged.size > 0) {
    let first = true;
    for (const [id, status] of flagged) {
      json += `${first ? ',"status":{' : ','}${JSON.stringify(id)}:${JSON.stringify(status)}`;
      first = false;
    }
    json += '}';
  }
  return `${json}}`;
}

function number(value: number): string {
  return Number.isFinite(value) ? String(value) : 'null';
}
