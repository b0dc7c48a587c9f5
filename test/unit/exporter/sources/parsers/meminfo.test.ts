import { describe, expect, test } from 'vitest';
import { parseMeminfo } from '../../../../../exporter/sources/parsers/meminfo.ts';

const MODERN = `MemTotal:       16000000 kB
MemFree:         2000000 kB
MemAvailable:    8000000 kB
Buffers:          100000 kB
Cached:          3000000 kB
SwapTotal:       4000000 kB
SwapFree:        3000000 kB
HugePages_Total:       0
Hugepagesize:       2048 kB
`;

describe('parseMeminfo', () => {
  test('reads total, available and swap in bytes', () => {
    expect(parseMeminfo(MODERN)).toEqual({
      totalBytes: 16_000_000 * 1024,
      availableBytes: 8_000_000 * 1024,
      swapTotalBytes: 4_000_000 * 1024,
      swapFreeBytes: 3_000_000 * 1024,
    });
  });

  test('estimates available memory on kernels without MemAvailable', () => {
    const old = 'MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 50 kB\nCached: 200 kB\nSReclaimable: 25 kB\n';
    expect(parseMeminfo(old)?.availableBytes).toBe(375 * 1024);
  });

  test('treats missing swap lines as no swap', () => {
    expect(parseMeminfo('MemTotal: 1000 kB\nMemAvailable: 500 kB\n')).toMatchObject({
      swapTotalBytes: 0,
      swapFreeBytes: 0,
    });
  });

  test('never reports more available than total', () => {
    expect(parseMeminfo('MemTotal: 1000 kB\nMemAvailable: 1200 kB\n')?.availableBytes).toBe(1000 * 1024);
  });

  test.each([
    { name: 'no MemTotal', input: 'MemFree: 100 kB\n' },
    { name: 'garbage', input: 'hello world\n' },
    { name: 'MemTotal without a number', input: 'MemTotal: lots kB\n' },
  ])('returns undefined for $name', ({ input }) => {
    expect(parseMeminfo(input)).toBeUndefined();
  });
});
