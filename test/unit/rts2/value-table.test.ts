import { describe, expect, test } from 'vitest';
import { ValueTable } from '../../../rts2-sensord/value-table.ts';

function table(): ValueTable {
  const t = new ValueTable();
  t.define('infotime', { type: 'time', description: 'time of last update', value: Number.NaN });
  t.define('n1_cpu', { type: 'double', display: 'percents', description: '[%] n1 cpu', value: 10 });
  return t;
}

describe('ValueTable', () => {
  test('new values announce E then V, in creation order', () => {
    expect(table().takeChanges()).toEqual([
      'E 3 "infotime" "time of last update" ',
      'V infotime nan',
      'E 327684 "n1_cpu" "[%] n1 cpu" ',
      'V n1_cpu 1.00000000000000000000e+01',
    ]);
  });

  test('a changed value sends V only; an unchanged one (NaN included) nothing', () => {
    const t = table();
    t.takeChanges();
    t.set('infotime', Number.NaN);
    t.set('n1_cpu', 10);
    expect(t.takeChanges()).toEqual([]);
    t.set('n1_cpu', 12.5);
    expect(t.takeChanges()).toEqual(['V n1_cpu 1.25000000000000000000e+01']);
  });

  test('a class or description change re-sends E with the new flags, then V (§8.3)', () => {
    const t = table();
    t.takeChanges();
    t.setClass('n1_cpu', 'warning');
    t.set('n1_cpu', 86);
    expect(t.takeChanges()).toEqual(['E 268763140 "n1_cpu" "[%] n1 cpu" ', 'V n1_cpu 8.60000000000000000000e+01']);
    t.setClass('n1_cpu', 'error');
    expect(t.takeChanges()).toEqual(['E 537198596 "n1_cpu" "[%] n1 cpu" ', 'V n1_cpu 8.60000000000000000000e+01']);
    t.setDescription('n1_cpu', '[%] n1 CPU');
    expect(t.takeChanges()[0]).toBe('E 537198596 "n1_cpu" "[%] n1 CPU" ');
  });

  test('metaLines and valueLines cover every value whatever was sent', () => {
    const t = table();
    t.takeChanges();
    expect(t.metaLines()).toHaveLength(4);
    expect(t.valueLines()).toEqual(['V infotime nan', 'V n1_cpu 1.00000000000000000000e+01']);
  });

  test('defining a name twice or touching an unknown one is a bug', () => {
    const t = table();
    expect(() => t.define('n1_cpu', { type: 'bool', description: '', value: false })).toThrow();
    expect(() => t.set('nope', 1)).toThrow();
  });
});
