import { readFileSync, writeFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { envName, flagName, type OptionSpec } from '../../../config/option.ts';
import type { FeedState } from '../../../rts2-sensord/bridge/bridge-feed.ts';
import { DeviceLevels } from '../../../rts2-sensord/levels.ts';
import { nodeReadings } from '../../../rts2-sensord/node-readings.ts';
import { nodeSummaryReading } from '../../../rts2-sensord/node-summary.ts';
import { sensordOptionSpecs } from '../../../rts2-sensord/options.ts';
import { valueFlags } from '../../../rts2-sensord/protocol/value-flags.ts';
import { bridgeReading, countReadings, worstReadings } from '../../../rts2-sensord/summary-readings.ts';
import { ThresholdValues } from '../../../rts2-sensord/threshold-values.ts';
import { ValueTable } from '../../../rts2-sensord/value-table.ts';

const README = new URL('../../../rts2-sensord/README.md', import.meta.url);

function optionsTable(): string {
  const rows = Object.entries(sensordOptionSpecs as Record<string, OptionSpec>).map(([name, spec]) => {
    // The advertised host defaults to this machine's name; a table in git cannot show it.
    const value =
      name === 'localhost'
        ? 'host name'
        : Array.isArray(spec.default)
          ? spec.default.join(',') || 'all'
          : String(spec.default ?? 'built-in');
    const flag = `--${flagName(name)}${spec.placeholder ? ` ${spec.placeholder}` : ''}`.replace(/\|/g, '\\|');
    return `| \`${flag}\` | \`${envName(name)}\` | ${value} | ${spec.help.replace(/\|/g, '\\|')} |`;
  });
  return ['| flag | environment | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

/** The values of a device showing one node, from the same functions the device uses. */
function valuesTable(): string {
  const levels = DeviceLevels.load();
  const now = Date.now();
  const known = {
    fetchedAt: now,
    view: {
      node: 'NODE',
      group: 'default',
      critical: false,
      up: true,
      lastSeenSecondsAgo: 1,
      metrics: [
        ...['cpu', 'mem', 'disk', 'rx', 'tx'].map((key) => ({ key, qualifier: null, value: 1, status: 'ok' as const })),
        { key: 'disk', qualifier: '/MOUNT', value: 1, status: 'ok' as const },
      ],
    },
  };
  const feed: FeedState = {
    ok: true,
    error: undefined,
    lastSuccessAt: now,
    downAfterMs: 60_000,
    nodes: new Map([['NODE', known]]),
    ignoredNodes: 0,
    polls: 1,
  };
  const perNode = nodeReadings(known, { now, downAfterMs: 60_000, bridgeOk: true, levels });
  const table = new ValueTable();
  table.define('infotime', { type: 'time', description: 'time of last update', value: 0 });
  table.define('uptime', { type: 'time', description: 'daemon uptime', value: 0 });
  for (const r of [bridgeReading(feed, '<url>'), ...countReadings(feed, perNode), ...worstReadings(perNode)]) {
    table.define(r.name, { type: r.type, display: r.display, description: r.description, value: r.value });
  }
  new ThresholdValues(table, levels).define();
  // --node-values summary (the default): one value per node; full: the values after it.
  const summary = nodeSummaryReading({ node: 'NODE', alias: 'NODE', group: 'default', readings: perNode });
  table.define(summary.name, {
    type: summary.type,
    display: summary.display,
    description: summary.description,
    value: summary.value,
  });
  for (const r of perNode)
    table.define(r.name, { type: r.type, display: r.display, description: r.description, value: r.value });
  const rows = table
    .metaLines()
    .filter((l) => l.startsWith('E '))
    .map((line) => {
      const v = table.get(/^E \d+ "([^"]+)"/.exec(line)![1]!)!;
      const text = `| \`${v.name}\` | ${v.type}${v.display === 'plain' ? '' : ` (${v.display})`} | ${v.writable ? 'yes' : ''} | ${valueFlags(v.type, v.display, v.writable, 'good')} | ${v.description} |`;
      return text.replace(/NODE/g, '<node>').replace(/MOUNT/g, '<mount>');
    });
  return ['| name | type | writable | E flags | description |', '|---|---|---|---|---|', ...rows].join('\n');
}

function fill(text: string, marker: string, body: string): string {
  const pattern = new RegExp(`(<!-- ${marker}:start[^>]*-->\\n)[\\s\\S]*?(<!-- ${marker}:end -->)`);
  return text.replace(pattern, `$1${body}\n$2`);
}

test('the README tables match the option specs and the values (UPDATE_GOLDEN=1 rewrites them)', () => {
  const current = readFileSync(README, 'utf8');
  const fresh = fill(fill(current, 'options', optionsTable()), 'values', valuesTable());
  if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(README, fresh);
  expect(current).toBe(fresh);
});

test('the README has the sections every component README has', () => {
  const headings = readFileSync(README, 'utf8').match(/^## .+$/gm);
  expect(headings).toEqual(['## What it does', '## Run', '## Configuration', '## Values', '## Example output']);
});
