import { describe, expect, test } from 'vitest';
import { parseLine, type Report, type Sample } from '../../../protocol/line.ts';
import { REJECT_REASONS, type RejectReason } from '../../../protocol/reject-reasons.ts';

const T = 1763884800;
const s = (key: string, value: number, qualifier?: string): Sample =>
  qualifier === undefined ? { key, value } : { key, qualifier, value };
const report = (node: string, timestamp: number, ...samples: Sample[]): Report => ({ node, timestamp, samples });
// What the splitter hands over for UTF-8 input: one latin1 char per byte.
const utf8 = (text: string) => Buffer.from(text, 'utf8').toString('latin1');

// Cases are passed as [name, case] so `%s` prints the whole name (`$name` truncates at 40 characters).
const good: ReadonlyArray<{ name: string; input: string; expect: Report }> = [
  {
    name: 'the standard report of the protocol document',
    input: `ccd01 ${T} cpu=12.5 mem=43.1 disk=81.2 rx=123456 tx=7890 load1=0.52 procs=312`,
    expect: report(
      'ccd01',
      T,
      s('cpu', 12.5),
      s('mem', 43.1),
      s('disk', 81.2),
      s('rx', 123456),
      s('tx', 7890),
      s('load1', 0.52),
      s('procs', 312),
    ),
  },
  { name: 'CRLF line end', input: `ccd01 ${T} cpu=12.5\r`, expect: report('ccd01', T, s('cpu', 12.5)) },
  {
    name: 'runs of spaces, leading and trailing spaces',
    input: `  ccd01   ${T}  cpu=12.5    mem=43.1  `,
    expect: report('ccd01', T, s('cpu', 12.5), s('mem', 43.1)),
  },
  {
    name: 'fractional timestamp kept as sent',
    input: `ccd01 ${T}.25 cpu=1`,
    expect: report('ccd01', T + 0.25, s('cpu', 1)),
  },
  {
    name: 'microsecond timestamp',
    input: `ccd01 ${T}.123456 cpu=1`,
    expect: report('ccd01', 1763884800.123456, s('cpu', 1)),
  },
  { name: 'timestamp in exponent notation', input: 'ccd01 1.7638848e9 cpu=1', expect: report('ccd01', T, s('cpu', 1)) },
  {
    name: 'qualifiers: mount, interface, Windows drive and path',
    input: `ccd01 ${T} disk@/data=75.3 rx@eth0=1200 disk@C:=51 disk@D:\\data=3`,
    expect: report(
      'ccd01',
      T,
      s('disk', 75.3, '/data'),
      s('rx', 1200, 'eth0'),
      s('disk', 51, 'C:'),
      s('disk', 3, 'D:\\data'),
    ),
  },
  {
    name: 'disk@/ as the series of disk',
    input: `ccd01 ${T} disk@/=81.2 rx@/=5`,
    expect: report('ccd01', T, s('disk', 81.2), s('rx', 5, '/')),
  },
  {
    name: 'Object.prototype member names as node, key and qualifier',
    input: `constructor ${T} constructor=1 constructor@__proto__=2 cpu@toString=3`,
    expect: report('constructor', T, s('constructor', 1), s('constructor', 2, '__proto__'), s('cpu', 3, 'toString')),
  },
  {
    name: 'node name __proto__',
    input: `__proto__ ${T} hasownproperty=1`,
    expect: report('__proto__', T, s('hasownproperty', 1)),
  },
  {
    name: 'the same key unqualified and qualified is not a duplicate',
    input: `ccd01 ${T} disk=1 disk@/data=2`,
    expect: report('ccd01', T, s('disk', 1), s('disk', 2, '/data')),
  },
  {
    name: 'a qualifier may contain @',
    input: `ccd01 ${T} temp@acpi@0=40`,
    expect: report('ccd01', T, s('temp', 40, 'acpi@0')),
  },
  {
    name: 'a qualifier of 64 characters',
    input: `ccd01 ${T} disk@${'q'.repeat(64)}=1`,
    expect: report('ccd01', T, s('disk', 1, 'q'.repeat(64))),
  },
  {
    name: 'LAMOST field names map to the canonical keys',
    input: `lamost01 ${T} cpu_percent=12.5 memory_percent=40 disk_percent=81.2 nic_in=100 nic_out=200`,
    expect: report('lamost01', T, s('cpu', 12.5), s('mem', 40), s('disk', 81.2), s('rx', 100), s('tx', 200)),
  },
  {
    name: 'a LAMOST alias keeps its qualifier',
    input: `lamost01 ${T} disk_percent@/data=5`,
    expect: report('lamost01', T, s('disk', 5, '/data')),
  },
  {
    name: 'custom keys are gauges without a range',
    input: `dome ${T} humidity=45.5 ccd_setpoint=-100 fan2=0 ${'k'.repeat(32)}=1e12`,
    expect: report('dome', T, s('humidity', 45.5), s('ccd_setpoint', -100), s('fan2', 0), s('k'.repeat(32), 1e12)),
  },
  {
    name: 'custom keys named like Object.prototype members',
    input: `dome ${T} constructor=1 tostring=2`,
    expect: report('dome', T, s('constructor', 1), s('tostring', 2)),
  },
  {
    name: 'exponent values',
    input: `ccd01 ${T} rx=1.25e9 tx=1E3 ratio=5e-3 load1=1.5E+1`,
    expect: report('ccd01', T, s('rx', 1.25e9), s('tx', 1000), s('ratio', 0.005), s('load1', 15)),
  },
  {
    name: 'negative temperatures',
    input: `ccd01 ${T} temp=-12.5 temp@ccd=-100.2`,
    expect: report('ccd01', T, s('temp', -12.5), s('temp', -100.2, 'ccd')),
  },
  {
    name: 'range limits are inclusive',
    input: `ccd01 ${T} cpu=100 mem=0 temp=-273.15 temp@hot=1000`,
    expect: report('ccd01', T, s('cpu', 100), s('mem', 0), s('temp', -273.15), s('temp', 1000, 'hot')),
  },
  {
    name: 'sign, leading and trailing dot',
    input: `ccd01 ${T} cpu=+5 mem=.5 disk=7.`,
    expect: report('ccd01', T, s('cpu', 5), s('mem', 0.5), s('disk', 7)),
  },
  {
    name: 'node name that is an IPv4 address',
    input: `10.0.0.5 ${T} cpu=1`,
    expect: report('10.0.0.5', T, s('cpu', 1)),
  },
  {
    name: 'node name with dashes, colon and leading underscore',
    input: `_ccd-01.lamost:2 ${T} cpu=1`,
    expect: report('_ccd-01.lamost:2', T, s('cpu', 1)),
  },
  {
    name: 'node name of 64 characters',
    input: `${'n'.repeat(64)} ${T} cpu=1`,
    expect: report('n'.repeat(64), T, s('cpu', 1)),
  },
];

const bad: ReadonlyArray<{ name: string; input: string; expect: RejectReason }> = [
  { name: 'empty line', input: '', expect: 'malformed' },
  { name: 'node only', input: 'ccd01', expect: 'malformed' },
  { name: 'no key=value field', input: `ccd01 ${T}`, expect: 'malformed' },
  { name: 'timestamp missing', input: 'ccd01 cpu=5', expect: 'malformed' },
  { name: 'field without =', input: `ccd01 ${T} cpu`, expect: 'malformed' },
  { name: 'empty key', input: `ccd01 ${T} =5`, expect: 'malformed' },
  { name: 'NUL byte', input: `ccd01 ${T} cpu=5\0`, expect: 'malformed' },
  { name: 'DEL byte', input: `ccd01 ${T} cpu=5\x7f`, expect: 'malformed' },
  { name: 'UTF-8 bytes in a key', input: utf8(`ccd01 ${T} température=5`), expect: 'malformed' },
  { name: 'tab as separator', input: `ccd01\t${T} cpu=5`, expect: 'malformed' },
  // The only part of a line no character class checks (the control test runs only on refused lines).
  { name: 'control byte in a qualifier', input: `ccd01 ${T} temp@c\x01d=5`, expect: 'malformed' },
  { name: 'UTF-8 bytes in a qualifier', input: utf8(`ccd01 ${T} temp@caméra=5`), expect: 'malformed' },
  { name: 'DEL byte in a qualifier, then a bad value', input: `ccd01 ${T} temp@c\x7f=x`, expect: 'malformed' },
  { name: 'CR inside the line', input: `ccd01 ${T} cpu=5\r mem=1`, expect: 'malformed' },
  { name: 'two CRs at the end', input: `ccd01 ${T} cpu=5\r\r`, expect: 'malformed' },
  // Non-ASCII and control bytes are refused before fields are looked at, wherever they are.
  { name: 'node with a Cyrillic look-alike letter (UTF-8)', input: utf8(`сcd01 ${T} cpu=5`), expect: 'malformed' },
  { name: 'node with a vertical tab', input: `ccd\v01 ${T} cpu=5`, expect: 'malformed' },
  { name: 'node in quotes', input: `"ccd01" ${T} cpu=5`, expect: 'bad_node' },
  { name: 'node in braces', input: `{ccd01} ${T} cpu=5`, expect: 'bad_node' },
  { name: 'node with an escaped newline', input: `ccd01\\n ${T} cpu=5`, expect: 'bad_node' },
  { name: 'node of 65 characters', input: `${'n'.repeat(65)} ${T} cpu=5`, expect: 'bad_node' },
  { name: 'node starting with a dash', input: `-ccd01 ${T} cpu=5`, expect: 'bad_node' },
  { name: 'node with a slash', input: `ccd/01 ${T} cpu=5`, expect: 'bad_node' },
  { name: 'node with =', input: `ccd=01 ${T} cpu=5`, expect: 'bad_node' },
  { name: 'negative timestamp', input: `ccd01 -${T} cpu=5`, expect: 'bad_timestamp' },
  { name: 'timestamp abc', input: 'ccd01 abc cpu=5', expect: 'bad_timestamp' },
  { name: 'hexadecimal timestamp', input: 'ccd01 0x10 cpu=5', expect: 'bad_timestamp' },
  { name: 'timestamp Infinity', input: 'ccd01 Infinity cpu=5', expect: 'bad_timestamp' },
  { name: 'timestamp overflowing to infinity', input: 'ccd01 1e999 cpu=5', expect: 'bad_timestamp' },
  { name: 'timestamp 0', input: 'ccd01 0 cpu=5', expect: 'bad_timestamp' },
  { name: 'timestamp 0.0', input: 'ccd01 0.0 cpu=5', expect: 'bad_timestamp' },
  { name: 'timestamp with a unit', input: `ccd01 ${T}s cpu=5`, expect: 'bad_timestamp' },
  { name: 'timestamp with a decimal comma', input: `ccd01 ${T},5 cpu=5`, expect: 'bad_timestamp' },
  { name: 'ISO date as timestamp', input: 'ccd01 2025-11-23T08:00:00Z cpu=5', expect: 'bad_timestamp' },
  { name: 'upper-case custom key', input: `ccd01 ${T} Humidity=5`, expect: 'bad_key' },
  { name: 'upper-case standard key', input: `ccd01 ${T} CPU=5`, expect: 'bad_key' },
  { name: 'custom key of 33 characters', input: `ccd01 ${T} ${'k'.repeat(33)}=5`, expect: 'bad_key' },
  { name: 'custom key starting with a digit', input: `ccd01 ${T} 2fan=5`, expect: 'bad_key' },
  { name: 'custom key with a dash', input: `ccd01 ${T} dome-temp=5`, expect: 'bad_key' },
  { name: 'qualifier without a key', input: `ccd01 ${T} @eth0=5`, expect: 'bad_key' },
  { name: 'empty qualifier', input: `ccd01 ${T} disk@=5`, expect: 'bad_key' },
  { name: 'qualifier of 65 characters', input: `ccd01 ${T} disk@${'q'.repeat(65)}=5`, expect: 'bad_key' },
  { name: 'the same key twice', input: `ccd01 ${T} cpu=1 cpu=2`, expect: 'duplicate_key' },
  { name: 'the same key and qualifier twice', input: `ccd01 ${T} disk@/data=1 disk@/data=2`, expect: 'duplicate_key' },
  { name: 'a LAMOST alias and its canonical key', input: `ccd01 ${T} cpu=1 cpu_percent=2`, expect: 'duplicate_key' },
  { name: 'two aliases of one key', input: `ccd01 ${T} nic_in=1 rx=2`, expect: 'duplicate_key' },
  // One series, one sample: `disk` is the mount `/` (exposed as mount="/"), so `disk@/` is the same series.
  { name: 'disk and disk@/ (the default qualifier)', input: `dup02 ${T} disk=10 disk@/=20`, expect: 'duplicate_key' },
  { name: 'disk@/ and disk_percent', input: `dup02 ${T} disk@/=10 disk_percent=20`, expect: 'duplicate_key' },
  { name: 'the custom key node (the InfluxDB tag)', input: `evil01 ${T} node=1`, expect: 'reserved_key' },
  { name: 'the custom key time (the InfluxDB column)', input: `evil01 ${T} cpu=1 time=1`, expect: 'reserved_key' },
  { name: 'the custom key device with a qualifier', input: `evil01 ${T} device@y=1`, expect: 'reserved_key' },
  { name: 'the custom key mount', input: `evil01 ${T} mount=1`, expect: 'reserved_key' },
  // The first `=` ends the name, so a qualifier can never hold one: the rest is a bad value.
  { name: 'qualifier with =', input: `ccd01 ${T} disk@a=b=3`, expect: 'bad_value' },
  { name: 'value NaN', input: `ccd01 ${T} cpu=NaN`, expect: 'bad_value' },
  { name: 'value Inf', input: `ccd01 ${T} cpu=Inf`, expect: 'bad_value' },
  { name: 'value Infinity on a custom key', input: `ccd01 ${T} humidity=Infinity`, expect: 'bad_value' },
  { name: 'value overflowing to infinity', input: `ccd01 ${T} humidity=1e999`, expect: 'bad_value' },
  { name: 'empty value', input: `ccd01 ${T} cpu=`, expect: 'bad_value' },
  { name: 'hexadecimal value', input: `ccd01 ${T} humidity=0x1f`, expect: 'bad_value' },
  { name: 'decimal comma', input: `ccd01 ${T} cpu=12,5`, expect: 'bad_value' },
  { name: 'value with a unit', input: `ccd01 ${T} cpu=12%`, expect: 'bad_value' },
  { name: 'two decimal points', input: `ccd01 ${T} cpu=1.2.3`, expect: 'bad_value' },
  { name: 'sign only', input: `ccd01 ${T} cpu=-`, expect: 'bad_value' },
  { name: 'percent above 100', input: `ccd01 ${T} cpu=101`, expect: 'bad_value' },
  { name: 'percent just above 100', input: `ccd01 ${T} mem=100.01`, expect: 'bad_value' },
  { name: 'negative percent', input: `ccd01 ${T} cpu=-1`, expect: 'bad_value' },
  { name: 'negative rate', input: `ccd01 ${T} rx=-5`, expect: 'bad_value' },
  { name: 'temperature below absolute zero', input: `ccd01 ${T} temp=-274`, expect: 'bad_value' },
  { name: 'a 300-digit percent', input: `ccd01 ${T} cpu=1${'0'.repeat(300)}`, expect: 'bad_value' },
  { name: 'LAMOST alias out of range', input: `ccd01 ${T} memory_percent=250`, expect: 'bad_value' },
  { name: 'the first bad field decides', input: `ccd01 ${T} CPU=5 cpu=NaN`, expect: 'bad_key' },
];

describe('parseLine', () => {
  test.each(good.map((c) => [c.name, c] as const))('accepts %s', (_, { input, expect: expected }) => {
    expect(parseLine(input)).toEqual({ ok: true, report: expected });
  });

  test.each(bad.map((c) => [`${c.name} as ${c.expect}`, c] as const))('rejects %s', (_, { input, expect: reason }) => {
    const result = parseLine(input);
    expect(result).toEqual({ ok: false, reason, detail: expect.any(String) });
    // The detail goes into one log line: bounded and free of the bytes that made the line bad.
    if (!result.ok) expect(result.detail).toMatch(/^[\x20-\x7e]{1,120}$/);
  });

  test('the table covers every reason the codec can return, and only listed reasons', () => {
    const codecReasons = new Set(bad.map((c) => c.expect));
    expect([...codecReasons].sort()).toEqual([
      'bad_key',
      'bad_node',
      'bad_timestamp',
      'bad_value',
      'duplicate_key',
      'malformed',
      'reserved_key',
    ]);
    for (const reason of codecReasons) expect(REJECT_REASONS).toContain(reason);
  });

  test('never throws, whatever the input', () => {
    const inputs = [
      '\0',
      ' ',
      '='.repeat(10),
      '@=',
      'a 1 @',
      'a 1 =',
      `a 1 ${'x='.repeat(1000)}`,
      '\u{1F600}',
      'a 1 __proto__=1',
      'a 1 toString=1',
    ];
    for (const input of inputs) expect(() => parseLine(input)).not.toThrow();
  });
});
