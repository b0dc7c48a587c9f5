import { describe, expect, test } from 'vitest';
import { parseLoadavg } from '../../../../../exporter/sources/parsers/loadavg.ts';
import { parseMounts } from '../../../../../exporter/sources/parsers/mounts.ts';
import { parseUptime } from '../../../../../exporter/sources/parsers/uptime.ts';

describe('parseLoadavg', () => {
  test('reads the three averages', () => {
    expect(parseLoadavg('0.52 0.48 0.27 1/80 4963\n')).toEqual({ load1: 0.52, load5: 0.48, load15: 0.27 });
  });

  test.each([
    { name: 'two fields', input: '0.5 0.4' },
    { name: 'a word', input: 'high 0.4 0.3 1/2 3' },
    { name: 'empty text', input: '' },
  ])('returns undefined for $name', ({ input }) => {
    expect(parseLoadavg(input)).toBeUndefined();
  });
});

describe('parseUptime', () => {
  test('reads the first field', () => {
    expect(parseUptime('834.39 1459.32\n')).toBe(834.39);
  });

  test.each(['', 'up 3 days', '-5 1'])('returns undefined for %j', (input) => {
    expect(parseUptime(input)).toBeUndefined();
  });
});

describe('parseMounts', () => {
  test('reads device, mount point and type, decoding octal escapes', () => {
    const text =
      '/dev/sda1 / ext4 rw 0 0\n/dev/sdb1 /mnt/my\\040disk ext4 rw 0 0\n/dev/sdc1 /back\\134slash xfs rw 0 0\n';
    expect(parseMounts(text)).toEqual([
      { device: '/dev/sda1', mountPoint: '/', fsType: 'ext4' },
      { device: '/dev/sdb1', mountPoint: '/mnt/my disk', fsType: 'ext4' },
      { device: '/dev/sdc1', mountPoint: '/back\\slash', fsType: 'xfs' },
    ]);
  });

  test('skips blank and short lines', () => {
    expect(parseMounts('\n/dev/sda1 /\n  \nproc /proc proc rw 0 0\n')).toEqual([
      { device: 'proc', mountPoint: '/proc', fsType: 'proc' },
    ]);
  });
});
