import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import type { InventoryEntry } from '../../../bridge/state/inventory.ts';
import { loadSafetyRules, MAX_SAFETY_RULES, unmatchedRules } from '../../../bridge/state/safety-rules.ts';

const dir = mkdtempSync(join(tmpdir(), 'obsmon-safety-rules-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(text: string): string {
  const path = join(dir, `rules-${(n += 1)}.yaml`);
  writeFileSync(path, text);
  return path;
}

describe('--safety-rules file', () => {
  test('an empty file, or no rules, is advisory only', () => {
    expect(loadSafetyRules(file(''))).toEqual([]);
    expect(loadSafetyRules(file('unsafe: []\n'))).toEqual([]);
  });

  test('rules keep exactly the selectors given', () => {
    const rules = loadSafetyRules(
      file(
        'unsafe:\n  - { when: down, critical: true }\n  - when: error\n    group: dome\n  - { when: down, node: dome-plc }\n  - { when: error }\n',
      ),
    );
    expect(rules).toEqual([
      { when: 'down', critical: true },
      { when: 'error', group: 'dome' },
      { when: 'down', node: 'dome-plc' },
      { when: 'error' },
    ]);
  });

  test.each([
    ['unsafe:\n  - { when: downn }\n', ':2: unsafe[0].when: expected down or error, got "downn"'],
    [
      'unsafe:\n  - { when: down, grup: dome }\n',
      ':2: unsafe[0]: unknown key "grup" (expected when, node, group, critical; did you mean "group"?)',
    ],
    ['unsafe:\n  - { when: down, critical: yes }\n', ':2: unsafe[0].critical: expected true or false, got "yes"'],
    ['unsafe:\n  - { when: down, node: "a b" }\n', ':2: unsafe[0].node: expected a node name as in the protocol'],
    ['unsafe:\n  - { node: a }\n', ':2: unsafe[0].when: expected down or error, got nothing'],
    ['unsafe: { when: down }\n', ':1: unsafe: expected a list of rules, got a mapping'],
    ['rules: []\n', ':1: unknown key "rules" (expected unsafe)'],
    [
      `unsafe:\n${'  - { when: down }\n'.repeat(MAX_SAFETY_RULES + 1)}`,
      `unsafe: expected at most ${MAX_SAFETY_RULES} rules`,
    ],
  ])('%j is refused with file, line and problem', (text, message) => {
    const path = file(text);
    expect(() => loadSafetyRules(path)).toThrow(message);
    expect(() => loadSafetyRules(path)).toThrow(path);
  });

  test('a rule naming a node or group no inventory node has is a warning (a typo would leave the site advisory)', () => {
    const inventory = new Map<string, InventoryEntry>([
      ['dome-plc', { name: 'dome-plc', group: 'dome', critical: true }],
      ['ccd01', { name: 'ccd01', group: 'cameras', critical: false }],
    ]);
    const rules = loadSafetyRules(
      file(
        'unsafe:\n  - { when: down, critical: true }\n  - { when: error, group: dome }\n  - { when: error, group: dom }\n  - { when: down, node: dome-plcc }\n  - { when: down, node: ccd01, critical: true }\n',
      ),
    );
    expect(unmatchedRules(rules, inventory)).toEqual([
      'unsafe[2] (when: error, group: dom) matches no inventory node',
      'unsafe[3] (when: down, node: dome-plcc) matches no inventory node',
      'unsafe[4] (when: down, node: ccd01, critical: true) matches no inventory node',
    ]);
  });

  test('the example in docs/api.md is a valid file with the rules it describes', () => {
    const api = readFileSync(new URL('../../../docs/api.md', import.meta.url), 'utf8');
    const section = api.slice(api.indexOf('## Roof safety for INDI'));
    const block = /```yaml\n([\s\S]*?)```/.exec(section)![1]!.replace(/^ {2}/gm, '');
    expect(loadSafetyRules(file(block))).toEqual([
      { when: 'down', critical: true },
      { when: 'error', group: 'dome' },
      { when: 'down', node: 'dome-plc' },
    ]);
  });
});
