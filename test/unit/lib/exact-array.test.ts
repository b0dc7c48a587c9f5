import { describe, expect, test } from 'vitest';
import { EXACT_UP_TO, appended } from '../../../lib/exact-array.ts';

describe('appended', () => {
  test('a short list is copied, so a shared empty list is never changed; a long one grows in place', () => {
    const empty: number[] = [];
    let list = empty;
    for (let i = 0; i < EXACT_UP_TO; i += 1) {
      const before = list;
      list = appended(list, i);
      expect(list).not.toBe(before);
      expect(before).toHaveLength(i);
    }
    expect(empty).toEqual([]);
    const long = list;
    expect(appended(long, EXACT_UP_TO)).toBe(long);
    expect(long).toEqual(Array.from({ length: EXACT_UP_TO + 1 }, (_, i) => i));
  });
});
