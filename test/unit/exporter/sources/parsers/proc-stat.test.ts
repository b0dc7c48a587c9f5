import { describe, expect, test } from 'vitest';
import { parseProcStat } from '../../../../../exporter/sources/parsers/proc-stat.ts';

describe('parseProcStat', () => {
  test('sums busy fields of the aggregate cpu line and leaves guest time out of the total', () => {
    const text = 'cpu  100 5 30 800 20 3 2 1 50 7\ncpu0 50 2 15 400 10 1 1 0 25 3\nintr 12345\n';
    // busy = user nice system irq softirq steal; total adds idle and iowait.
    expect(parseProcStat(text)).toEqual({ busy: 141, total: 961 });
  });

  test('counts missing fields of old kernels as zero', () => {
    expect(parseProcStat('cpu 10 0 5 85\n')).toEqual({ busy: 15, total: 100 });
  });

  test.each([
    { name: 'no cpu line', input: 'intr 1 2 3\nctxt 5\n' },
    { name: 'only a per-core line', input: 'cpu0 1 2 3 4\n' },
    { name: 'too few fields', input: 'cpu 1 2 3\n' },
    { name: 'non-numeric field', input: 'cpu 1 x 3 4\n' },
    { name: 'empty text', input: '' },
  ])('returns undefined for $name', ({ input }) => {
    expect(parseProcStat(input)).toBeUndefined();
  });
});
