import { describe, expect, test } from 'vitest';
import {
  decodeLine,
  isCommandReturn,
  parseRts2Number,
  returnCode,
  type Rts2Line,
} from '../../../rts2-sensord/protocol/decode.ts';
import {
  formatDouble,
  formatValue,
  messageLine,
  metaLine,
  quote,
  returnLine,
  stateLine,
  type Rts2Scalar,
} from '../../../rts2-sensord/protocol/encode.ts';
import { Rts2LineReader } from '../../../rts2-sensord/protocol/line-reader.ts';
import { badParameters, ok, unknownCommand, type CommandReturn } from '../../../rts2-sensord/protocol/return-codes.ts';
import {
  errorClassOf,
  valueFlags,
  type Display,
  type ErrorClass,
  type ValueType,
} from '../../../rts2-sensord/protocol/value-flags.ts';

const decodeCases: Array<{ name: string; input: string; expect: Rts2Line }> = [
  { name: 'a bare command', input: 'info', expect: { command: 'info', params: [] } },
  {
    name: 'parameters split on whitespace',
    input: 'auth 4 0 1946099207',
    expect: { command: 'auth', params: ['4', '0', '1946099207'] },
  },
  {
    name: 'quoted parameters keep spaces',
    input: 'X test_string = "two words"',
    expect: { command: 'X', params: ['test_string', '=', 'two words'] },
  },
  {
    name: 'rts2-mon quotes the operand',
    input: 'X cpu_warn = "70"',
    expect: { command: 'X', params: ['cpu_warn', '=', '70'] },
  },
  {
    name: 'E line with trailing space',
    input: 'E 3 "infotime" "time of last update" ',
    expect: { command: 'E', params: ['3', 'infotime', 'time of last update'] },
  },
  { name: 'empty quoted string', input: 'F "x" ""', expect: { command: 'F', params: ['x', ''] } },
  {
    name: 'an unclosed quote runs to the end',
    input: 'X a = "b c',
    expect: { command: 'X', params: ['a', '=', 'b c'] },
  },
  {
    name: 'the character after a closing quote is consumed',
    input: 'W "ab"cd e',
    expect: { command: 'W', params: ['ab', 'cd', 'e'] },
  },
  { name: 'leading and repeated whitespace', input: '  \tV   x\t 1  ', expect: { command: 'V', params: ['x', '1'] } },
  { name: 'the command word ignores quotes', input: '"a b', expect: { command: '"a', params: ['b'] } },
  {
    name: 'a return line',
    input: '-5 name OBSMON already registered with id 6',
    expect: { command: '-5', params: ['name', 'OBSMON', 'already', 'registered', 'with', 'id', '6'] },
  },
  {
    name: 'a message text',
    input: 'M 1795419264 72975 DUMMY 4 60 seconds timer: 12',
    expect: { command: 'M', params: ['1795419264', '72975', 'DUMMY', '4', '60', 'seconds', 'timer:', '12'] },
  },
];

describe('decodeLine', () => {
  test.each(decodeCases)('$name', ({ input, expect: expected }) => {
    expect(decodeLine(input)).toEqual(expected);
  });

  test.each([
    ['+0', true, 0],
    ['+1', true, 1],
    ['-5', true, -5],
    ['-1', true, -1],
    ['S', false, 0],
    ['+x', true, 0],
  ] as const)('return line %s: %s, code %d', (word, isReturn, code) => {
    expect(isCommandReturn(word)).toBe(isReturn);
    expect(returnCode(word)).toBe(code);
  });

  test.each([
    ['70', 70],
    ['-2.5', -2.5],
    ['1e3', 1000],
    ['7.00000000000000000000e+01', 70],
    ['nan', Number.NaN],
    ['NaN', Number.NaN],
    ['inf', Infinity],
    ['-inf', -Infinity],
    ['abc', undefined],
    ['', undefined],
    ['0x10', undefined],
    ['1,5', undefined],
  ] as const)('number %j -> %s', (token, value) => {
    expect(parseRts2Number(token)).toBe(value);
  });
});

// Expected texts checked against C's printf("%.20le") on the same doubles.
const doubleCases: Array<[number, string]> = [
  [86, '8.60000000000000000000e+01'],
  [95, '9.50000000000000000000e+01'],
  [0, '0.00000000000000000000e+00'],
  [-0, '-0.00000000000000000000e+00'],
  [70, '7.00000000000000000000e+01'],
  [1795419379.0214231, '1.79541937902142310143e+09'],
  [83407802368, '8.34078023680000000000e+10'],
  [5.5, '5.50000000000000000000e+00'],
  [1e-300, '1.00000000000000002506e-300'],
  [-1.5e100, '-1.49999999999999992672e+100'],
  [Number.NaN, 'nan'],
  [Infinity, 'inf'],
  [-Infinity, '-inf'],
];

describe('encoding', () => {
  test.each(doubleCases)('double %d is %s, as C printf writes it', (value, text) => {
    expect(formatDouble(value)).toBe(text);
  });

  test.each<[ValueType, Rts2Scalar, string]>([
    ['double', 91.5, '9.15000000000000000000e+01'],
    ['time', Number.NaN, 'nan'],
    ['integer', 7, '7'],
    ['integer', 7.9, '7'],
    ['bool', true, '1'],
    ['bool', false, '0'],
    ['string', 'cam1:/data', '"cam1:/data"'],
    ['string', 'say "hi"\nbye', `"say 'hi'?bye"`],
  ])('%s value %j is written %s', (type, value, text) => {
    expect(formatValue(type, value)).toBe(text);
  });

  test.each<[string, string]>([
    [metaLine(327684, 'node1_cpu', '[%] node1 CPU usage'), 'E 327684 "node1_cpu" "[%] node1 CPU usage" '],
    [metaLine(3, 'infotime', 'time of last update'), 'E 3 "infotime" "time of last update" '],
    [metaLine(1, 'a"b', 'x\ny'), `E 1 "a'b" "x?y" `],
    [stateLine(0), 'S 0'],
    [stateLine(131072, 'cam1 disk full'), 'S 131072 "cam1 disk full"'],
    [stateLine(0x80000030), 'S 2147483696'],
    [messageLine(1795419264072.975, 'OBSMON', 2, 'cam1 disk 91%'), 'M 1795419264 72975 OBSMON 2 cam1 disk 91%'],
    [messageLine(1000, 'OBSMON', 1, 'a\r\nb'), 'M 1 0 OBSMON 1 a\\r\\nb'],
    [quote('plain'), '"plain"'],
  ])('%s', (actual, expected) => {
    expect(actual).toBe(expected);
  });

  test.each<[CommandReturn, string]>([
    [ok(), '+0 OK'],
    [ok('OK authorized'), '+0 OK authorized'],
    [{ code: 1, text: 'value x change was queued' }, '+1 value x change was queued'],
    [unknownCommand('foo'), '-1 unknow command foo'],
    [unknownCommand('\x00\xff'), '-1 unknow command ??'],
    [badParameters('X'), '-2 invalid parameters/invalid number of parameters - X'],
  ])('return %j is %s', (ret, line) => {
    expect(returnLine(ret)).toBe(line);
  });
});

describe('value flags (docs/rts2-wire.md §5)', () => {
  test.each<[ValueType, Display, boolean, ErrorClass, number]>([
    ['double', 'percents', false, 'good', 327684],
    ['double', 'percents', false, 'warning', 268763140],
    ['double', 'percents', false, 'error', 537198596],
    ['double', 'bytesize', false, 'good', 524292],
    ['double', 'percents', true, 'good', 33882116],
    ['bool', 'plain', false, 'good', 6],
    ['integer', 'plain', false, 'good', 2],
    ['string', 'plain', false, 'good', 1],
    ['time', 'plain', false, 'good', 3],
  ])('%s %s writable=%s %s = %d', (type, display, writable, cls, flags) => {
    expect(valueFlags(type, display, writable, cls)).toBe(flags);
    expect(errorClassOf(flags)).toBe(cls);
  });

  test('the RTS2 bookkeeping bits real daemons leak do not change the class', () => {
    expect(errorClassOf(318768134)).toBe('warning');
    expect(errorClassOf(587203590)).toBe('error');
  });
});

const framingCases: Array<{ name: string; input: string; expect: string[] }> = [
  { name: 'one line', input: 'T ready\n', expect: ['T ready'] },
  { name: 'CRLF', input: 'T ready\r\ninfo\r\n', expect: ['T ready', 'info'] },
  { name: 'two lines in one packet', input: 'S 0\nV x 1\n', expect: ['S 0', 'V x 1'] },
  { name: 'empty and blank lines are skipped', input: '\n\nF "a"\n\n   \n\t\nV a 0\n', expect: ['F "a"', 'V a 0'] },
  { name: 'a line without newline is not processed', input: 'info\nstatus_in', expect: ['info'] },
  { name: 'leading whitespace is kept for the decoder', input: '  info\n', expect: ['  info'] },
  {
    name: 'an overlong line is dropped, the next one survives',
    input: `${'x'.repeat(70_000)}\ninfo\n`,
    expect: ['info'],
  },
];

function frame(chunks: Buffer[]): string[] {
  const lines: string[] = [];
  const reader = new Rts2LineReader({ line: (_line, raw) => lines.push(raw) });
  for (const c of chunks) reader.push(c);
  return lines;
}

describe('Rts2LineReader framing', () => {
  test.each(framingCases)('$name, in one chunk', ({ input, expect: expected }) => {
    expect(frame([Buffer.from(input, 'latin1')])).toEqual(expected);
  });

  test.each(framingCases)('$name, byte by byte', ({ input, expect: expected }) => {
    const bytes = Buffer.from(input, 'latin1');
    expect(frame([...bytes].map((b) => Buffer.from([b])))).toEqual(expected);
  });

  test('a line split across packets, CR and LF in different packets', () => {
    expect(
      frame([Buffer.from('auth 4 0 19'), Buffer.from('46099207\r'), Buffer.from('\nin'), Buffer.from('fo\n')]),
    ).toEqual(['auth 4 0 1946099207', 'info']);
  });

  test('decoded lines come with the raw text', () => {
    const seen: Rts2Line[] = [];
    new Rts2LineReader({ line: (line) => seen.push(line) }).push(Buffer.from('X cpu_warn = "70"\r\n'));
    expect(seen).toEqual([{ command: 'X', params: ['cpu_warn', '=', '70'] }]);
  });
});
