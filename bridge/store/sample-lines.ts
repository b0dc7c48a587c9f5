import { escapeLabelValue, seriesHead } from '../../protocol/metric-names.ts';
import type { AcceptedReport } from '../state/node-table.ts';
import { numberText } from '../../lib/number-text.ts';
import type { TimeSeries } from './write-request.ts';

/** The series /metrics gives every node; remote write sends it as 1 with each report. */
export const NODE_UP_METRIC = 'obsmon_node_up';

/**
 * A report as one text line per sample, for the remote-write spool: the sample line of the
 * OpenMetrics text format with the agent's time in seconds (millisecond precision), e.g.
 * `obsmon_node_disk_usage_percent{node="ccd01",mount="/data"} 75.3 1763884800.25`. Names and labels
 * are those of /metrics (protocol/metric-names.ts, the same seriesHead), so a remote-written series and a scraped one
 * differ only by the target labels Prometheus adds to the scrape (job, instance). Plus
 * `obsmon_node_up 1` at the report's time, so `count_over_time(obsmon_node_up[...])` counts reports.
 * Ending in the timestamp keeps the spool's oldest-point gauge working (timestampOfLine).
 */
export function reportToSampleLines(report: AcceptedReport): string[] {
  const node = `node="${escapeLabelValue(report.node)}"`;
  const time = ` ${Math.round(report.timestamp * 1000) / 1000}`;
  const lines = [`${NODE_UP_METRIC}{${node}} 1${time}`];
  for (const sample of report.samples) {
    lines.push(`${seriesHead(node, sample.key, sample.qualifier)} ${numberText(sample.value)}${time}`);
  }
  return lines;
}

/** Sample lines grouped into series, ready for encodeWriteRequest; lines that do not parse are returned apart. */
export function sampleLinesToSeries(lines: readonly string[]): { series: TimeSeries[]; unreadable: string[] } {
  const bySeries = new Map<string, Array<{ value: number; timestampMs: number }>>();
  const unreadable: string[] = [];
  for (const line of lines) {
    const timeAt = line.lastIndexOf(' ');
    const valueAt = line.lastIndexOf(' ', timeAt - 1);
    const value = Number(line.slice(valueAt + 1, timeAt));
    const timestampMs = Math.round(Number(line.slice(timeAt + 1)) * 1000);
    const head = line.slice(0, valueAt);
    if (
      valueAt <= 0 ||
      line.slice(valueAt + 1, timeAt) === '' ||
      Number.isNaN(value) ||
      !Number.isSafeInteger(timestampMs) ||
      timestampMs < 0
    ) {
      unreadable.push(line);
      continue;
    }
    let samples = bySeries.get(head);
    if (samples === undefined) {
      samples = [];
      bySeries.set(head, samples);
    }
    samples.push({ value, timestampMs });
  }
  const series: TimeSeries[] = [];
  for (const [head, samples] of bySeries) {
    const labels = parseSeriesHead(head);
    if (labels === undefined) {
      for (const s of samples) unreadable.push(`${head} ${s.value} ${s.timestampMs / 1000}`);
      continue;
    }
    // A receiver appends a series' samples in request order; spool and live writes can interleave.
    samples.sort((a, b) => a.timestampMs - b.timestampMs);
    series.push({ labels, samples });
  }
  return { series, unreadable };
}

const HEAD = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\}$/s;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(?:,|$)/y;

/** `name{a="x",b="y"}` as labels sorted by name (the order remote write requires), or undefined. */
export function parseSeriesHead(head: string): Array<[string, string]> | undefined {
  const m = HEAD.exec(head);
  if (m === null) return undefined;
  const labels: Array<[string, string]> = [['__name__', m[1]!]];
  const body = m[2]!;
  LABEL.lastIndex = 0;
  while (LABEL.lastIndex < body.length) {
    const at = LABEL.lastIndex;
    const l = LABEL.exec(body);
    if (l === null || l.index !== at) return undefined;
    labels.push([l[1]!, l[2]!.replace(/\\(.)/gs, (_, c: string) => (c === 'n' ? '\n' : c))]);
  }
  if (new Set(labels.map(([name]) => name)).size !== labels.length) return undefined;
  return labels.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}
