import { describe, expect, test } from 'vitest';
import { numberText } from '../../../lib/number-text.ts';

/** A deterministic generator (xorshift32), so a failure names a reproducible value. */
function random(seed: number): () => number {
  let x = seed;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

describe('numberText', () => {
  test('writes exactly what String() writes: edge values', () => {
    const values = [
      0,
      -0,
      0.5,
      -0.5,
      1,
      -1,
      0.1 + 0.2,
      1e-6,
      1e-7,
      5e-7,
      0.0000015,
      123.456,
      -95.5,
      3.14,
      1e15,
      1e15 - 0.5,
      999999999999999.9,
      2 ** 53,
      2 ** 53 + 2,
      1.5e21,
      1e21,
      123456789.123456,
      12345678.9012345,
      Number.MIN_VALUE,
      Number.MAX_VALUE,
      Number.EPSILON,
      NaN,
      Infinity,
      -Infinity,
    ];
    for (const v of values) expect(numberText(v), String(v)).toBe(String(v));
  });

  test('writes exactly what String() writes: 400 000 generated values (decimals, scaled, raw bit patterns)', () => {
    const next = random(0x9e3779b9);
    const bits = new Float64Array(1);
    const words = new Uint32Array(bits.buffer);
    const mismatches: number[] = [];
    const check = (v: number) => {
      if (numberText(v) !== String(v) && mismatches.length < 5) mismatches.push(v);
    };
    for (let i = 0; i < 50_000; i += 1) {
      const decimals = i % 8;
      const m = Math.floor((next() - 0.5) * 10 ** (1 + (i % 17)));
      check(m / 10 ** decimals);
      check(m * 10 ** -decimals);
      check((m / 10 ** decimals) * 3);
      check(next() * 10 ** ((i % 30) - 10));
      check((i % 1000) / 7);
      check(Number((next() * 100).toFixed(i % 7)));
      words[0] = next() * 2 ** 32;
      words[1] = next() * 2 ** 32;
      check(bits[0]!);
      check(0.1 * (i % 100));
    }
    expect(mismatches.map((v) => [v, numberText(v), String(v)])).toEqual([]);
  });
});
