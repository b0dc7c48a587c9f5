import { describe, expect, test } from 'vitest';
import {
  LAMOST_ALIASES,
  RESERVED_KEYS,
  seriesQualifier,
  STANDARD_KEYS,
  type StandardKey,
} from '../../../protocol/keys.ts';
import { encodeReport, formatValue, parseLine, type Report, type Sample } from '../../../protocol/line.ts';

const T = 1763884800;

const cases: ReadonlyArray<{ name: string; input: Report; expect: string }> = [
  {
    name: 'the standard report',
    input: {
      node: 'ccd01',
      timestamp: T,
      samples: [
        { key: 'cpu', value: 12.5 },
        { key: 'mem', value: 43.1 },
        { key: 'disk', value: 81.2 },
        { key: 'rx', value: 123456 },
        { key: 'tx', value: 7890 },
        { key: 'load1', value: 0.52 },
        { key: 'procs', value: 312 },
      ],
    },
    expect: `ccd01 ${T} cpu=12.5 mem=43.1 disk=81.2 rx=123456 tx=7890 load1=0.52 procs=312`,
  },
  {
    name: 'standard keys are rounded to their decimals and lose trailing zeros',
    input: {
      node: 'n',
      timestamp: T,
      samples: [
        { key: 'cpu', value: 12.345 },
        { key: 'mem', value: 40 },
        { key: 'rx', value: 1234.6 },
        { key: 'load1', value: 0.5 },
      ],
    },
    expect: `n ${T} cpu=12.3 mem=40 rx=1235 load1=0.5`,
  },
  {
    name: 'qualifiers follow the key after @',
    input: {
      node: 'n',
      timestamp: T,
      samples: [
        { key: 'disk', qualifier: '/data', value: 75.25 },
        { key: 'rx', qualifier: 'eth0', value: 1200 },
      ],
    },
    expect: `n ${T} disk@/data=75.3 rx@eth0=1200`,
  },
  {
    name: 'custom keys keep full precision',
    input: {
      node: 'n',
      timestamp: T,
      samples: [
        { key: 'ratio', value: 0.123456789 },
        { key: 'tiny', value: 1e-7 },
      ],
    },
    expect: `n ${T} ratio=0.123456789 tiny=1e-7`,
  },
  {
    name: 'fractional timestamps keep milliseconds',
    input: { node: 'n', timestamp: T + 0.25, samples: [{ key: 'cpu', value: 1 }] },
    expect: `n ${T}.25 cpu=1`,
  },
  {
    name: 'timestamps round to milliseconds',
    input: { node: 'n', timestamp: T + 0.1234, samples: [{ key: 'cpu', value: 1 }] },
    expect: `n ${T}.123 cpu=1`,
  },
  {
    name: 'negative temperatures',
    input: { node: 'n', timestamp: T, samples: [{ key: 'temp', value: -12.46 }] },
    expect: `n ${T} temp=-12.5`,
  },
];

describe('encodeReport', () => {
  test.each(cases.map((c) => [c.name, c] as const))('%s', (_, { input, expect: expected }) => {
    expect(encodeReport(input)).toBe(expected);
  });

  test.each([
    [12.5, 1, '12.5'],
    [12.5, 0, '13'],
    [3, 2, '3'],
    [100, 1, '100'],
    [0.049, 1, '0'],
    [10.1, 2, '10.1'],
  ] as const)('formatValue(%s, %s) is %s', (value, decimals, text) => {
    expect(formatValue(value, decimals)).toBe(text);
  });
});

// Tiny deterministic PRNG (mulberry32): reproducible cases without a dependency.
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generator(seed: number) {
  const random = mulberry32(seed);
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[int(0, items.length - 1)]!;
  const text = (alphabet: string, min: number, max: number) =>
    Array.from({ length: int(min, max) }, () => alphabet[int(0, alphabet.length - 1)]).join('');
  const lower = 'abcdefghijklmnopqrstuvwxyz';
  const nodeChars = `${lower}${lower.toUpperCase()}0123456789_`;
  // Visible ASCII except `=`.
  const qualifierChars = Array.from({ length: 94 }, (_, i) => String.fromCharCode(0x21 + i))
    .filter((c) => c !== '=')
    .join('');
  const reserved = new Set([...STANDARD_KEYS.map((k) => k.key), ...LAMOST_ALIASES.keys(), ...RESERVED_KEYS]);

  // A value the encoder writes exactly: an integer count of 10^-decimals steps inside the range.
  const standardValue = (spec: StandardKey) => {
    const scale = 10 ** spec.decimals;
    const max = Math.min(spec.max, 1e10);
    const steps = int(Math.ceil(spec.min * scale), Math.floor(max * scale));
    return steps === 0 ? 0 : steps / scale;
  };
  const customValue = () => {
    const v = (random() - 0.5) * 10 ** int(-12, 15);
    return v === 0 ? 0 : v;
  };
  const customKey = (): string => {
    const key = text(lower, 1, 1) + text(`${lower}0123456789_`, 0, 31);
    return reserved.has(key) ? customKey() : key;
  };

  return (): Report => {
    const samples: Sample[] = [];
    const ids = new Set<string>();
    for (let n = int(1, 12); samples.length < n;) {
      const spec = random() < 0.7 ? pick(STANDARD_KEYS) : undefined;
      const key = spec?.key ?? customKey();
      // `disk@/` decodes as `disk`: generate the series identity the decoder gives back.
      const qualifier = seriesQualifier(key, random() < 0.4 ? text(qualifierChars, 1, 64) : undefined);
      const id = `${key}@${qualifier ?? ''}`;
      if (ids.has(id)) continue;
      ids.add(id);
      const value = spec === undefined ? customValue() : standardValue(spec);
      samples.push(qualifier === undefined ? { key, value } : { key, qualifier, value });
    }
    const node = text(nodeChars, 1, 1) + text(`${nodeChars}.:-`, 0, 63);
    const timestamp = random() < 0.5 ? int(1e9, 4e9) : int(1e12, 4e12) / 1000;
    return { node, timestamp, samples };
  };
}

describe('round trip', () => {
  test('parseLine(encodeReport(r)) equals r for 500 generated reports', () => {
    const next = generator(20251123);
    for (let i = 0; i < 500; i += 1) {
      const report = next();
      const line = encodeReport(report);
      expect(parseLine(line), `report #${i}: ${line}`).toEqual({ ok: true, report });
    }
  });
});

describe('128-byte budget', () => {
  test('the standard report of a 16-character node with worst-case realistic values fits in 128 bytes', () => {
    const line = encodeReport({
      node: 'ccd-camera-01.gl',
      timestamp: 1999999999,
      samples: [
        { key: 'cpu', value: 99.9 }, // one digit wider than 100
        { key: 'mem', value: 99.9 },
        { key: 'disk', value: 99.9 },
        { key: 'rx', value: 1.25e9 }, // 10 GbE saturated, bytes/s
        { key: 'tx', value: 1.25e9 },
        { key: 'load1', value: 999.99 },
        { key: 'procs', value: 99999 },
      ],
    });
    expect(line).toBe(
      'ccd-camera-01.gl 1999999999 cpu=99.9 mem=99.9 disk=99.9 rx=1250000000 tx=1250000000 load1=999.99 procs=99999',
    );
    expect(parseLine(line).ok).toBe(true);
    expect(Buffer.byteLength(`${line}\n`)).toBeLessThanOrEqual(128);
  });
});
