import { describe, expect, test } from 'vitest';
import {
  MAX_ALIAS_LENGTH,
  MAX_NODE_VALUE_NAME,
  mountPart,
  NodeAliases,
  nodeAlias,
  sanitizeName,
  ValueNames,
} from '../../../rts2-sensord/value-names.ts';
import { NO_DATA, percentText, rateText, secondsText } from '../../../rts2-sensord/value-text.ts';

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

describe('node aliases (docs/rts2.md, "Names")', () => {
  test.each([
    ['cam1', 'cam1'],
    ['web_01', 'web_01'],
    ['node_with_14ch', 'node_with_14ch'],
  ])('a short RTS2-safe name is its own alias: %j', (node, alias) => {
    expect(nodeAlias(node)).toBe(alias);
  });

  // Seen against a real rts2-mon: this name widened the name column until no value was visible.
  test('a long name becomes a bounded prefix plus a tag of the whole name', () => {
    const alias = nodeAlias('ccd01-control.observatory.example.org');
    expect(alias).toMatch(/^ccd01_con_[0-9a-z]{4}$/);
    expect(alias.length).toBeLessThanOrEqual(MAX_ALIAS_LENGTH);
    expect(`${alias}_disk_${mountPart('/data')}`.length).toBeLessThanOrEqual(MAX_NODE_VALUE_NAME);
    expect(MAX_NODE_VALUE_NAME).toBeLessThanOrEqual(30);
  });

  test('names that sanitise alike get different aliases, whatever the order', () => {
    const names = ['a.b-c:d', 'a_b_c_d', 'a-b-c-d', 'a.b.c.d'];
    const aliases = names.map(nodeAlias);
    expect(new Set(aliases).size).toBe(names.length);
    const inOrder = new NodeAliases([]);
    expect(names.map((n) => inOrder.alias(n))).toEqual(aliases);
    const fresh = new NodeAliases([]);
    expect(
      [...names]
        .reverse()
        .map((n) => fresh.alias(n))
        .reverse(),
    ).toEqual(aliases);
  });

  test('the alias is the same in every process (a pure function of the name)', () => {
    expect(nodeAlias('gw-1.site')).toBe(nodeAlias('gw-1.site'));
    expect(nodeAlias('gw-1.site')).toMatch(/^gw_1_site_[0-9a-z]{4}$/);
    expect(nodeAlias('x'.repeat(200))).toHaveLength(MAX_ALIAS_LENGTH);
    expect(nodeAlias('_')).toMatch(/^node_[0-9a-z]{4}$/);
  });

  test('an alias that would make a device value name gets a tag of its own, once for all its values', () => {
    const table = new NodeAliases(['worst_cpu', 'worst_cpu_node', 'cpu_warn', 'nodes_down', 'bridge_ok']);
    for (const node of ['worst', 'cpu', 'nodes', 'bridge']) {
      const alias = table.alias(node);
      expect(alias).toMatch(new RegExp(`^${node}_[0-9a-z]{4}$`));
      expect(table.alias(node)).toBe(alias);
    }
    expect(table.alias('nodes_down')).not.toBe('nodes_down');
    expect(table.alias('cam1')).toBe('cam1');
  });

  test('long mounts are shortened with a tag, short ones kept', () => {
    expect(mountPart('/data')).toBe('data');
    expect(mountPart('/')).toBe('root');
    expect(mountPart('/var/lib/docker/overlay2')).toMatch(/^var_l_[0-9a-z]{4}$/);
    expect(mountPart('/var/lib/docker/overlay2')).not.toBe(mountPart('/var/lib/docker/volumes'));
  });
});

describe('value texts (docs/rts2.md, "Units")', () => {
  test.each([
    [0, '0 B/s'],
    [512, '512 B/s'],
    [999.4, '999 B/s'],
    [1000, '1.00 kB/s'],
    [1_000_000, '1.00 MB/s'],
    [976_562.5, '977 kB/s'],
    [12_345_678, '12.3 MB/s'],
    [2.5e9, '2.50 GB/s'],
    [Number.NaN, NO_DATA],
  ])('rate %d -> %j (decimal, per second)', (value, text) => {
    expect(rateText(value)).toBe(text);
  });

  test('percent, seconds and no data', () => {
    expect(percentText(91)).toBe('91.0%');
    expect(percentText(Number.NaN)).toBe('--');
    expect(secondsText(0)).toBe('0 s');
    expect(secondsText(74.6)).toBe('75 s');
    expect(secondsText(Number.NaN)).toBe('--');
    expect(NO_DATA).toMatch(/^[\x20-\x7e]+$/);
  });
});
