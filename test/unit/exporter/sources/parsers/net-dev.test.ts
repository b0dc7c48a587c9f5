import { describe, expect, test } from 'vitest';
import {
  parseNetDev,
  parseNetDevCounters,
  parseNetDevErrors,
} from '../../../../../exporter/sources/parsers/net-dev.ts';

const HEADER = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
`;

describe('parseNetDev', () => {
  test('reads receive and transmit bytes per interface', () => {
    const text = `${HEADER}    lo: 3707162     782    0    0    0     0          0         0  3707162     782    0    0    0     0       0          0
  eth0: 183275950    5179    0    0    0     0          0         0   397536    3370    0    0    0     0       0          0
`;
    expect(parseNetDev(text)).toEqual([
      { name: 'lo', rxBytes: 3707162, txBytes: 3707162 },
      { name: 'eth0', rxBytes: 183275950, txBytes: 397536 },
    ]);
  });

  test.each([
    {
      name: 'old kernels with no space after the colon',
      line: 'eth0:4294967290 10 0 0 0 0 0 0 77 5 0 0 0 0 0 0',
      expect: { name: 'eth0', rxBytes: 4294967290, txBytes: 77 },
    },
    {
      name: 'a colon inside the name',
      line: '  eth0:1: 10 1 0 0 0 0 0 0 20 2 0 0 0 0 0 0',
      expect: { name: 'eth0:1', rxBytes: 10, txBytes: 20 },
    },
    {
      name: 'a space inside the name',
      line: ' my nic: 10 1 0 0 0 0 0 0 20 2 0 0 0 0 0 0',
      expect: { name: 'my nic', rxBytes: 10, txBytes: 20 },
    },
    {
      name: 'counters beyond 2^32 (64-bit kernels)',
      line: 'eth1: 18446744073709 1 0 0 0 0 0 0 9007199254740 2 0 0 0 0 0 0',
      expect: { name: 'eth1', rxBytes: 18446744073709, txBytes: 9007199254740 },
    },
  ])('handles $name', ({ line, expect: entry }) => {
    expect(parseNetDev(`${HEADER}${line}\n`)).toEqual([entry]);
  });

  test.each([
    { name: 'too few fields', line: 'eth0: 10 1 0 0 0 0 0 0' },
    { name: 'non-numeric counter', line: 'eth0: ten 1 0 0 0 0 0 0 20 2 0 0 0 0 0 0' },
    { name: 'negative counter', line: 'eth0: -1 1 0 0 0 0 0 0 20 2 0 0 0 0 0 0' },
    { name: 'empty name', line: ': 10 1 0 0 0 0 0 0 20 2 0 0 0 0 0 0' },
  ])('skips a line with $name and keeps the others', ({ line }) => {
    const good = 'eth9: 1 1 0 0 0 0 0 0 2 2 0 0 0 0 0 0';
    expect(parseNetDev(`${HEADER}${line}\n${good}\n`)).toEqual([{ name: 'eth9', rxBytes: 1, txBytes: 2 }]);
  });

  test('returns nothing for headers only or empty text', () => {
    expect(parseNetDev(HEADER)).toEqual([]);
    expect(parseNetDev('')).toEqual([]);
  });
});

describe('parseNetDevErrors', () => {
  test('reads the errs and drop columns of receive and transmit', () => {
    const text = `${HEADER}    lo: 3707162     782    0    0    0     0          0         0  3707162     782    0    0    0     0       0          0
  eth0: 183275950    5179   12    3    0     0          0         0   397536    3370    7    1    0     0       0          0
 wlan0:10 1 4294967295 2 0 0 0 0 20 2 0 9 0 0 0 0
`;
    expect(parseNetDevErrors(text)).toEqual([
      { name: 'lo', rxErrors: 0, rxDrops: 0, txErrors: 0, txDrops: 0 },
      { name: 'eth0', rxErrors: 12, rxDrops: 3, txErrors: 7, txDrops: 1 },
      { name: 'wlan0', rxErrors: 4294967295, rxDrops: 2, txErrors: 0, txDrops: 9 },
    ]);
  });

  test('lines without all twelve numbers, or with a non-number among them, are skipped', () => {
    const text = `${HEADER}  eth0: 1 2 3 4 5 6 7 8 9 10 11\n  eth1: 1 2 x 4 5 6 7 8 9 10 11 12 13 14 15 16\n  eth2: 1 2 -3 4 5 6 7 8 9 10 11 12\n`;
    expect(parseNetDevErrors(text)).toEqual([]);
  });
});

describe('parseNetDevCounters', () => {
  test('is parseNetDev with the errors of parseNetDevErrors attached where the line has them', () => {
    const text = `${HEADER}  eth0: 183275950 5179 12 3 0 0 0 0 397536 3370 7 1 0 0 0 0\n  eth1: 10 1 0 0 0 0 0 0 20 2 x 0\n  eth2: ten 1 0 0 0 0 0 0 20 2 0 0\n`;
    expect(parseNetDevCounters(text)).toEqual([
      {
        name: 'eth0',
        rxBytes: 183275950,
        txBytes: 397536,
        errors: { rxErrors: 12, rxDrops: 3, txErrors: 7, txDrops: 1 },
      },
      { name: 'eth1', rxBytes: 10, txBytes: 20 },
    ]);
    expect(parseNetDevCounters(text).map(({ name, rxBytes, txBytes }) => ({ name, rxBytes, txBytes }))).toEqual(
      parseNetDev(text),
    );
  });
});
