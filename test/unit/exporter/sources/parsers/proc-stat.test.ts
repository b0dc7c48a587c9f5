import { describe, expect, test } from 'vitest';
import { parseProcStat, parseProcStatCores } from '../../../../../exporter/sources/parsers/proc-stat.ts';

// /proc/stat of a 4-core Debian 12 guest, core 2 offline (no line), with guest and guest_nice columns.
const FOUR_CORES = `cpu  4705 150 1120 1231100 5620 0 161 902 0 0
cpu0 1393 10 290 410800 2201 0 102 300 0 0
cpu1 1506 40 365 410150 1907 0 35 301 0 0
cpu3 1806 100 465 410150 1512 0 24 301 0 0
intr 114930548 113199788 3 0 5 263 0 4 [... 1000 more ...]
ctxt 1990473
btime 1062191376
processes 2915
procs_running 1
procs_blocked 0
softirq 183433 0 21755 12 39 1137 231 21459 2263
`;

describe('parseProcStat', () => {
  test('sums busy fields of the aggregate cpu line, leaves guest time out of the total, keeps iowait and steal', () => {
    const text = 'cpu  100 5 30 800 20 3 2 1 50 7\ncpu0 50 2 15 400 10 1 1 0 25 3\nintr 12345\n';
    // busy = user nice system irq softirq steal; total adds idle and iowait.
    expect(parseProcStat(text)).toEqual({ busy: 141, total: 961, iowait: 20, steal: 1 });
  });

  test('counts missing fields of old kernels as zero', () => {
    expect(parseProcStat('cpu 10 0 5 85\n')).toEqual({ busy: 15, total: 100, iowait: 0, steal: 0 });
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

describe('parseProcStatCores', () => {
  test('one entry per cpuN line, by core number; an offline core is absent', () => {
    const cores = parseProcStatCores(FOUR_CORES);
    expect([...cores.keys()]).toEqual(['0', '1', '3']);
    expect(cores.get('3')).toEqual({
      busy: 1806 + 100 + 465 + 24 + 301,
      total: 1806 + 100 + 465 + 24 + 301 + 410150 + 1512,
      iowait: 1512,
      steal: 301,
    });
  });

  test('a malformed core line is left out and the others still count; the aggregate line is not a core', () => {
    const cores = parseProcStatCores('cpu  1 2 3 4\ncpu0 1 x 3 4\ncpu1 1 2 3 4\ncpu2\ncpufreq 1 2 3 4\n');
    expect([...cores.keys()]).toEqual(['1']);
  });

  test('nothing in a text without core lines', () => {
    expect(parseProcStatCores('intr 1 2\n').size).toBe(0);
  });
});
