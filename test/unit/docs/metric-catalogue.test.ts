import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { STANDARD_KEYS } from '../../../protocol/keys.ts';
import { CUSTOM_METRIC, NODE_METRICS, nodeMetric, partMetric } from '../../../protocol/metric-names.ts';

/*
 * One catalogue of node metric names (protocol/metric-names.ts): docs/api.md lists exactly it, and
 * grafana/src spells none of its names itself (it imports them).
 */
const REPO = new URL('../../../', import.meta.url).pathname;

function docRows(): Map<string, { keys: string; labels: string[] }> {
  const text = readFileSync(join(REPO, 'docs/api.md'), 'utf8');
  const start = text.indexOf('| protocol key | series | labels | note |');
  expect(start, 'docs/api.md has the Prometheus series table').toBeGreaterThan(0);
  const rows = new Map<string, { keys: string; labels: string[] }>();
  for (const line of text.slice(start).split('\n').slice(2)) {
    if (!line.startsWith('|')) break;
    const [keys, series, labels] = line
      .split('|')
      .slice(1, 4)
      .map((c) => c.trim());
    const name = /^`([a-z0-9_]+)`$/.exec(series!)?.[1];
    expect(name, `a series name in: ${line}`).toBeDefined();
    expect(rows.has(name!), `${name} listed once`).toBe(false);
    rows.set(name!, { keys: keys!, labels: [...labels!.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]!) });
  }
  return rows;
}

const expectedLabels = (m: (typeof NODE_METRICS)[number]) =>
  m === CUSTOM_METRIC
    ? ['node', 'key', 'device']
    : ['node', ...(m.qualifierLabel === undefined ? [] : [m.qualifierLabel])];

describe('the metric catalogue', () => {
  test('docs/api.md lists exactly the catalogue, with each name’s labels and protocol key', () => {
    const rows = docRows();
    expect([...rows.keys()].sort()).toEqual(NODE_METRICS.map((m) => m.name).sort());
    for (const m of NODE_METRICS) {
      const row = rows.get(m.name)!;
      expect(row.labels, m.name).toEqual(expectedLabels(m));
      if (m.key !== undefined)
        expect(row.keys, m.name).toContain(m.qualifierLabel === undefined ? `\`${m.key}\`` : `\`${m.key}`);
    }
  });

  test('every standard key has a node-wide name; a part name is another name unless plain = a default qualifier', () => {
    for (const k of STANDARD_KEYS) {
      const node = nodeMetric(k.key)!;
      const part = partMetric(k.key)!;
      expect(node, k.key).toBeDefined();
      if (k.defaultQualifier === undefined) {
        expect(part.name, k.key).not.toBe(node.name);
        expect(node.qualifierLabel, k.key).toBeUndefined();
        expect(part.qualifierLabel, k.key).toBe(k.qualifierLabel);
      } else expect(part, k.key).toBe(node);
    }
    expect(new Set(NODE_METRICS.map((m) => m.name)).size).toBe(NODE_METRICS.length);
  });

  test('grafana/src spells no catalogue name itself: it imports them', () => {
    const files = (dir: string): string[] =>
      readdirSync(join(REPO, dir), { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
      );
    for (const file of files('grafana/src')) {
      const text = readFileSync(join(REPO, file), 'utf8');
      for (const m of NODE_METRICS) {
        // Recording rules (node:obsmon_…:max) are names of their own, defined in prometheus/rules.
        expect(new RegExp(`(?<![:\\w])${m.name}(?![\\w:])`).test(text), `${file} spells ${m.name}`).toBe(false);
      }
    }
  });
});
