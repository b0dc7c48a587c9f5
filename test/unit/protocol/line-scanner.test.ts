import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { LAMOST_ALIASES, RESERVED_KEYS, STANDARD_KEYS } from '../../../protocol/keys.ts';
import { parseLine } from '../../../protocol/line.ts';
import { parseLineOracle } from '../../helpers/line-oracle.ts';

// The scanner must say exactly what the split-and-regex decoder said: same report, or same reason and detail.
const same = (line: string): void => {
  expect(parseLine(line), JSON.stringify(line)).toStrictEqual(parseLineOracle(line));
};

const pick = <T>(values: readonly T[]) => fc.constantFrom(...values);
const node = fc.oneof(
  { weight: 8, arbitrary: fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,63}$/) },
  fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.:-]{0,63}$/),
  pick(['ccd01', 'a', 'x'.repeat(64), 'x'.repeat(65), '-a', '.a', 'a/b', 'ä', 'a=b', 'a@b', '', 'AUTH', '__proto__']),
  fc.string({ maxLength: 80 }),
);
const number = fc.oneof(
  { weight: 10, arbitrary: fc.integer({ min: 0, max: 100 }).map(String) },
  { weight: 4, arbitrary: fc.double({ min: 0, max: 100, noNaN: true }).map(String) },
  fc.double().map(String),
  fc.integer().map(String),
  fc.nat().map(String),
  fc.stringMatching(/^[-+]?(\d{0,4}\.?\d{0,4})([eE][-+]?\d{0,4})?$/),
  // Around the exact fast path of the decoder: 15 significant digits, powers of ten up to 22.
  fc.stringMatching(/^-?\d{1,17}(\.\d{1,17})?([eE][-+]?\d{1,2})?$/),
  pick([
    '0',
    '-0',
    '+0',
    '1',
    '1.',
    '.5',
    '+.5',
    '-.5',
    '.',
    '+',
    '-',
    '',
    'e5',
    '1e',
    '1e+',
    '1e400',
    '-1e400',
    '0x1f',
  ]),
  pick(['Infinity', 'NaN', ' 1', '1 ', '1_0', '1,5', '100.1', '101', '-273.15', '-273.16', '1e9', '1e10', '1=2']),
  pick([
    String(Number.MAX_SAFE_INTEGER),
    String(Number.MAX_SAFE_INTEGER + 2),
    '9'.repeat(400),
    `1.${'0'.repeat(300)}1`,
  ]),
);
const key = fc.oneof(
  { weight: 12, arbitrary: pick(STANDARD_KEYS.map((k) => k.key)) },
  { weight: 4, arbitrary: fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/) },
  pick([...LAMOST_ALIASES.keys()]),
  pick([...RESERVED_KEYS]),
  fc.stringMatching(/^[a-z][a-z0-9_]{0,33}$/),
  pick(['', 'Cpu', '_x', '1x', 'a-b', 'a.b', '__proto__', 'constructor', 'x'.repeat(32), 'x'.repeat(33)]),
  fc.string({ maxLength: 10 }),
);
const qualifier = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^[\x21-\x3c\x3e-\x7e]{1,8}$/) },
  pick(['/', '/data', 'C:', 'eth0', '', '@', 'a@b', '=', 'q'.repeat(64), 'q'.repeat(65), '"', '\\', '{}']),
  fc.stringMatching(/^[\x21-\x7e]{0,70}$/),
);
const pair = fc.oneof(
  {
    weight: 20,
    arbitrary: fc
      .tuple(key, fc.option(qualifier, { freq: 2 }), number)
      .map(([k, q, v]) => `${k}${q === null ? '' : `@${q}`}=${v}`),
  },
  { weight: 1, arbitrary: pick(['=', '=1', 'cpu', 'cpu==1', '@=1', 'cpu@=1', 'cpu=1=2', 'disk@/=1', 'disk=1']) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);
const spaces = fc.stringMatching(/^ {1,3}$/);
const line = fc
  .tuple(
    fc.option(spaces, { nil: '' }),
    node,
    spaces,
    fc.oneof(number, pick(['1763884800', '1763884800.25'])),
    fc.array(fc.tuple(spaces, pair), { minLength: 1, maxLength: 12 }),
    fc.option(spaces, { nil: '' }),
    fc.oneof({ weight: 30, arbitrary: pick(['', '\r']) }, pick(['\r\r', '\n', '\x00', '\x7f', 'é', '\t', '\x1f'])),
  )
  .map(
    ([lead, n, sep, t, pairs, trail, end]) =>
      `${lead}${n}${sep}${t}${pairs.map(([s, p]) => s + p).join('')}${trail}${end}`,
  );
// A few standard pairs repeated, so both ways of finding duplicates (pairwise, then a Set) are exercised.
const long = fc
  .tuple(
    fc.array(pick(['cpu=1', 'disk@/=2', 'disk=3', 'x@a=1', 'x@b=1', 'temp@c=4', 'y=1']), { maxLength: 40 }),
    fc.nat(40),
  )
  .map(
    ([pairs, n]) => `ccd01 1763884800 ${Array.from({ length: n }, (_, k) => `k${k}=1`).join(' ')} ${pairs.join(' ')}`,
  );

describe('parseLine (the scanner) equals the split-and-regex decoder', () => {
  test('on generated lines: valid, invalid field by field, hostile', () => {
    fc.assert(
      fc.property(line, (l) => same(l)),
      { numRuns: 20_000 },
    );
  });

  test('on many samples and duplicates', () => {
    fc.assert(
      fc.property(long, (l) => same(l)),
      { numRuns: 3000 },
    );
  });

  test('on arbitrary text, ASCII and not', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 120 }), (l) => same(l)),
      { numRuns: 5000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (l) => same(l)),
      { numRuns: 3000 },
    );
    const alphabet = fc.constantFrom(...' =@.-+eE019azZ_:/\r'.split(''));
    fc.assert(
      fc.property(fc.string({ unit: alphabet, maxLength: 60 }), (l) => same(l)),
      { numRuns: 10_000 },
    );
  });
});
