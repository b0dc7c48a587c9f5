import { readFileSync, writeFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { envName, flagName, type OptionSpec } from '../../../config/option.ts';
import { COLLECTORS } from '../../../exporter/collectors/index.ts';
import { exporterOptionSpecs } from '../../../exporter/options.ts';

const README = new URL('../../../exporter/README.md', import.meta.url);

function optionsTable(): string {
  const rows = Object.entries(exporterOptionSpecs as Record<string, OptionSpec>).map(([name, spec]) => {
    // The node default is this machine's host name; a table in git cannot show it.
    const value =
      name === 'node' ? 'short host name' : Array.isArray(spec.default) ? spec.default.join(',') : String(spec.default);
    return `| \`--${flagName(name)}${spec.placeholder ? ` ${spec.placeholder}` : ''}\` | \`${envName(name)}\` | ${value} | ${spec.help.replace(/\|/g, '\\|')} |`;
  });
  return ['| flag | environment | default | meaning |', '|---|---|---|---|', ...rows].join('\n');
}

function collectorsTable(): string {
  const rows = COLLECTORS.map(
    (c) => `| \`${c.name}\` | ${c.defaultEnabled ? 'yes' : 'no'} | ${c.keys.map((k) => `\`${k}\``).join(' ')} |`,
  );
  return ['| collector | default | keys |', '|---|---|---|', ...rows].join('\n');
}

function fill(text: string, marker: string, body: string): string {
  const pattern = new RegExp(`(<!-- ${marker}:start[^>]*-->\\n)[\\s\\S]*?(<!-- ${marker}:end -->)`);
  return text.replace(pattern, `$1${body}\n$2`);
}

test('the README tables match the option specs and the collector registry (UPDATE_GOLDEN=1 rewrites them)', () => {
  const current = readFileSync(README, 'utf8');
  const fresh = fill(fill(current, 'options', optionsTable()), 'collectors', collectorsTable());
  if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(README, fresh);
  expect(current).toBe(fresh);
});

test('the README has the sections every component README has', () => {
  const headings = readFileSync(README, 'utf8').match(/^## .+$/gm);
  expect(headings).toEqual([
    '## What it does',
    '## Run',
    '## Configuration',
    '## Collectors and keys',
    '## Example output',
  ]);
});
