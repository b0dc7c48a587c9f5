import { crc32 } from 'node:zlib';
import { describe, expect, test } from 'vitest';
import { crc32Combine } from '../../../lib/crc32-combine.ts';

describe('crc32Combine', () => {
  test('is the CRC-32 of the two texts one after the other, for any lengths', () => {
    let seed = 7;
    const bytes = (n: number) =>
      Buffer.from(Array.from({ length: n }, () => (seed = (Math.imul(seed, 1_664_525) + 1_013_904_223) >>> 0) >>> 24));
    for (const [a, b] of [
      [0, 0],
      [1, 0],
      [0, 1],
      [5, 7],
      [1000, 3],
      [65_536, 100_001],
      [3, 1_000_000],
    ] as const) {
      const x = bytes(a);
      const y = bytes(b);
      expect(crc32Combine(crc32(x), crc32(y), b), `${a} + ${b}`).toBe(crc32(Buffer.concat([x, y])));
    }
  });
});
