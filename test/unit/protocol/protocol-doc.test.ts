import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { bridgeOptionSpecs } from '../../../bridge/options.ts';
import { flagName } from '../../../config/option.ts';
import { LAMOST_ALIASES, RESERVED_KEYS, STANDARD_KEYS } from '../../../protocol/keys.ts';
import { parseLine } from '../../../protocol/line.ts';
import { REJECT_REASONS } from '../../../protocol/reject-reasons.ts';

const ROOT = join(import.meta.dirname, '../../..');
const doc = readFileSync(join(ROOT, 'docs/protocol.md'), 'utf8');

/** The cells of the table rows of one `##`/`###` section, without the header and ruler rows. */
function tableRows(heading: string): string[][] {
  const start = doc.indexOf(`\n${heading}\n`);
  expect(start, `heading "${heading}"`).toBeGreaterThan(0);
  const rest = doc.slice(start + heading.length + 2);
  const section = rest.slice(0, rest.search(/\n#{2,3} /) >>> 0);
  return section
    .split('\n')
    .filter((l) => l.startsWith('|'))
    .slice(2)
    .map((l) =>
      l
        .slice(1, -1)
        .split(' | ')
        .map((c) => c.trim()),
    );
}

/** The fenced code block of the given language that follows `heading`. */
function codeAfter(heading: string, language: string): string {
  const start = doc.indexOf(`\n${heading}\n`);
  expect(start, `heading "${heading}"`).toBeGreaterThan(0);
  const open = doc.indexOf(`\n\`\`\`${language}\n`, start);
  const close = doc.indexOf('\n```\n', open + 1);
  return doc.slice(open + language.length + 5, close + 1);
}

const number = (n: number) =>
  n === Number.MAX_SAFE_INTEGER
    ? '2^53−1'
    : n >= 1e6
      ? n.toExponential().replace('e+', 'e')
      : String(n).replace('-', '−');

describe('docs/protocol.md matches the code', () => {
  test('the standard keys table matches STANDARD_KEYS', () => {
    const rows = tableRows('### 5.1 Standard keys');
    expect(rows.map((r) => r[0])).toEqual(STANDARD_KEYS.map((k) => `\`${k.key}\``));
    for (const k of STANDARD_KEYS) {
      const [, description, unit, range, qualifier, decimals] = rows.find((r) => r[0] === `\`${k.key}\``)!;
      expect({ description, unit, range, decimals }, k.key).toEqual({
        description: k.description,
        unit: k.unit,
        range: `${number(k.min)} … ${number(k.max)}`,
        decimals: String(k.decimals),
      });
      expect(qualifier, k.key).toContain(`\`${k.qualifierLabel}\``);
    }
  });

  test('the alias table matches LAMOST_ALIASES', () => {
    const rows = tableRows('### 5.3 LAMOST aliases');
    expect(
      Object.fromEntries(rows.map(([alias, key]) => [alias!.replaceAll('`', ''), key!.replaceAll('`', '')])),
    ).toEqual(Object.fromEntries(LAMOST_ALIASES));
  });

  test('the reserved names of section 5.4 and of the reserved_key row are RESERVED_KEYS, and each is refused', () => {
    const paragraph = /\*\*Reserved names\.\*\* ([^:]+) are not custom keys/.exec(doc)?.[1];
    const row = tableRows('## 8. Rejections').find((r) => r[0] === '`reserved_key`')?.[2];
    for (const text of [paragraph, row])
      expect([...(text ?? '').matchAll(/`([a-z]+)`/g)].map((m) => m[1])).toEqual([...RESERVED_KEYS]);
    for (const key of RESERVED_KEYS) {
      for (const sample of [`${key}=1`, `${key}@x=1`])
        expect(parseLine(`n1 1763884800 ${sample}`), sample).toMatchObject({ ok: false, reason: 'reserved_key' });
    }
  });

  test('the reasons table lists every reject reason, in order, and nothing else', () => {
    expect(tableRows('## 8. Rejections').map((r) => r[0])).toEqual(REJECT_REASONS.map((r) => `\`${r}\``));
  });

  test('every flag the document names is a bridge flag, with the default it quotes', () => {
    const defaults = new Map(Object.entries(bridgeOptionSpecs).map(([name, spec]) => [flagName(name), spec.default]));
    const flags = new Set([...doc.matchAll(/`[^`\n]*?--([a-z][a-z-]*)/g)].map((m) => m[1]!));
    expect([...flags].filter((f) => !defaults.has(f))).toEqual([]);
    const quoted = [...doc.matchAll(/`--([a-z-]+)`[ ,(*]*default (\d+)/g)];
    expect(quoted.length).toBeGreaterThan(8);
    for (const [text, flag, value] of quoted) expect(defaults.get(flag!), text).toBe(Number(value));
    expect(doc).toContain(
      `default **${String(bridgeOptionSpecs.ingestPort.default)}** (\`obsmon bridge --ingest-port\`)`,
    );
  });

  test('the example reports parse, and the budget example is 108 bytes', () => {
    const examples = [...doc.matchAll(/\n *```\n *(\S+ \d{10} [^\n]+)\n/g)].map((m) => m[1]!.trim());
    expect(examples).toHaveLength(2);
    for (const line of examples) expect(parseLine(line).ok, line).toBe(true);
    expect(Buffer.byteLength(examples[1]!)).toBe(108);
  });

  test.each([
    ['### POSIX shell with nc', 'agent.sh', 'sh'],
    ['### Python 3', 'agent.py', 'python'],
    ['### C', 'agent.c', 'c'],
  ])('the program under "%s" is examples/agents/%s', (heading, file, language) => {
    expect(codeAfter(heading, language)).toBe(readFileSync(join(ROOT, 'examples/agents', file), 'utf8'));
  });
});
