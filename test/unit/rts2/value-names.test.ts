import { describe, expect, test } from 'vitest';
import { sanitizeName, ValueNames } from '../../../rts2-sensord/value-names.ts';

describe('sanitizeName (docs/rts2-wire.md §5: [A-Za-z0-9_] only)', () => {
  test.each([
    ['cam1', 'cam1'],
    ['gw-1.site', 'gw_1_site'],
    ['a.b-c:d', 'a_b_c_d'],
    ['/var/log', 'var_log'],
    ['/data', 'data'],
    ['/', 'x'],
    ['C:', 'C'],
    ['/x"y', 'x_y'],
    ['name[1]', 'name_1'],
    ['__a__', 'a'],
    ['ünï', 'n'],
    ['x'.repeat(100), 'x'.repeat(64)],
  ])('%j -> %j', (input, output) => {
    expect(sanitizeName(input)).toBe(output);
  });

  test('an empty result takes the fallback', () => {
    expect(sanitizeName('/', 'root')).toBe('root');
  });
});

describe('ValueNames', () => {
  test('an identity keeps its name; a later identity wanting it gets a stable tag', () => {
    const a = new ValueNames();
    expect(a.claim('node:a.b:cpu', 'a_b_cpu')).toBe('a_b_cpu');
    const tagged = a.claim('node:a_b:cpu', 'a_b_cpu');
    expect(tagged).toMatch(/^a_b_cpu_[0-9a-z]{4}$/);
    expect(a.claim('node:a.b:cpu', 'a_b_cpu')).toBe('a_b_cpu');
    expect(a.claim('node:a_b:cpu', 'whatever')).toBe(tagged);
    const b = new ValueNames();
    b.claim('other', 'a_b_cpu');
    expect(b.claim('node:a_b:cpu', 'a_b_cpu')).toBe(tagged);
  });

  test('reserved names are never handed out', () => {
    const names = new ValueNames();
    names.reserve('worst_cpu');
    expect(names.claim('node:worst:cpu', 'worst_cpu')).not.toBe('worst_cpu');
  });

  test('a tag that is itself taken moves on', () => {
    const names = new ValueNames();
    names.claim('first', 'n');
    const second = names.claim('second', 'n');
    names.reserve(`${second}`);
    const third = names.claim('third', 'n');
    expect(new Set(['n', second, third]).size).toBe(3);
  });
});
