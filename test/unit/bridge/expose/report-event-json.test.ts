import { describe, expect, test } from 'vitest';
import { reportEventJson } from '../../../../bridge/expose/report-event-json.ts';
import type { AcceptedReport } from '../../../../bridge/state/node-table.ts';
import type { Status } from '../../../../protocol/status.ts';
import { seriesId } from '../../../../protocol/series-id.ts';

/** The object form the stream's report events were built from before (and docs/api.md shows). */
function objectForm(report: AcceptedReport, flagged: ReadonlyMap<string, Status>): string {
  const values = Object.fromEntries(report.samples.map((s) => [seriesId(s.key, s.qualifier), s.value]));
  const event = { node: report.node, timestamp: report.timestamp, values };
  return JSON.stringify(flagged.size === 0 ? event : { ...event, status: Object.fromEntries(flagged) });
}

const report = (samples: AcceptedReport['samples'], timestamp = 1763884800): AcceptedReport => ({
  node: 'ccd-01.dome:a',
  timestamp,
  samples,
  receivedAt: 0,
});

describe('reportEventJson: the JSON of a stream report event, written as text', () => {
  test.each([
    [
      'plain keys',
      report([
        { key: 'cpu', value: 12.5 },
        { key: 'disk', value: 81.2 },
      ]),
    ],
    ['no samples', report([])],
    [
      'qualifiers needing escapes',
      report([
        { key: 'disk', qualifier: '/data', value: 75.3 },
        { key: 'temp', qualifier: 'a"b\\c', value: 1 },
        { key: 'proc_count', qualifier: 'x\u0001\u2028é', value: 2 },
      ]),
    ],
    [
      'numbers at the edges',
      report(
        [
          { key: 'a', value: -0 },
          { key: 'b', value: 1e21 },
          { key: 'c', value: 1e-7 },
          { key: 'd', value: -123.456e-300 },
          { key: 'e', value: Number.MAX_VALUE },
          { key: 'f', value: NaN },
          { key: 'g', value: Infinity },
        ],
        1763884800.125,
      ),
    ],
  ])('%s: the same text as JSON.stringify of the object', (_, r) => {
    expect(reportEventJson(r, new Map())).toBe(objectForm(r, new Map()));
    expect(JSON.parse(reportEventJson(r, new Map()))).toEqual(JSON.parse(objectForm(r, new Map())));
  });

  test('with the statuses not ok, in their order', () => {
    const r = report([
      { key: 'disk', value: 95 },
      { key: 'disk', qualifier: 'x"y', value: 85 },
    ]);
    const flagged = new Map<string, Status>([
      ['disk@x"y', 'warning'],
      ['disk', 'error'],
    ]);
    const json = reportEventJson(r, flagged);
    expect(json).toBe(objectForm(r, flagged));
    expect(JSON.parse(json).status).toEqual({ 'disk@x"y': 'warning', disk: 'error' });
  });
});
