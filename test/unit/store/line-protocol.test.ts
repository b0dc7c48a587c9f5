import { describe, expect, test } from 'vitest';
import type { AcceptedReport } from '../../../bridge/state/node-table.ts';
import { reportToLines, timestampOfLine } from '../../../bridge/store/line-protocol.ts';
import { locate } from '../../../bridge/store/schema.ts';
import { keyKind, RESERVED_KEYS, STANDARD_KEYS, standardKey } from '../../../protocol/keys.ts';

const report = (samples: AcceptedReport['samples'], timestamp = 1763884800, node = 'ccd01'): AcceptedReport => ({
  node,
  timestamp,
  samples,
  receivedAt: 0,
});

const cases: Array<{ name: string; input: AcceptedReport; expect: string[] }> = [
  {
    name: 'node-wide values share one obsmon_node line',
    input: report([
      { key: 'cpu', value: 12.5 },
      { key: 'mem', value: 43.1 },
      { key: 'procs', value: 312 },
    ]),
    expect: ['obsmon_node,node=ccd01 cpu=12.5,mem=43.1,procs=312 1763884800'],
  },
  {
    name: 'qualified values go to obsmon_<qualifier label>, one line per qualifier',
    input: report([
      { key: 'disk', value: 81.2 },
      { key: 'disk', qualifier: '/data', value: 75.3 },
      { key: 'rx', qualifier: 'eth0', value: 1200 },
      { key: 'tx', qualifier: 'eth0', value: 80 },
    ]),
    expect: [
      'obsmon_node,node=ccd01 disk=81.2 1763884800',
      'obsmon_mount,node=ccd01,mount=/data disk=75.3 1763884800',
      'obsmon_interface,node=ccd01,interface=eth0 rx=1200,tx=80 1763884800',
    ],
  },
  {
    name: 'temperature sensors, cpus and custom keys use their labels',
    input: report([
      { key: 'temp', qualifier: 'ccd', value: -95.5 },
      { key: 'cpu', qualifier: '3', value: 7 },
      { key: 'dome_humidity', qualifier: 'north', value: 40 },
    ]),
    expect: [
      'obsmon_sensor,node=ccd01,sensor=ccd temp=-95.5 1763884800',
      'obsmon_cpu,node=ccd01,cpu=3 cpu=7 1763884800',
      'obsmon_device,node=ccd01,device=north dome_humidity=40 1763884800',
    ],
  },
  {
    name: 'commas in a qualifier are escaped; a trailing backslash becomes a slash',
    input: report([
      { key: 'disk', qualifier: 'a,b', value: 1 },
      { key: 'disk', qualifier: 'C:\\', value: 2 },
      { key: 'disk', qualifier: 'x\\y', value: 3 },
    ]),
    expect: [
      'obsmon_mount,node=ccd01,mount=a\\,b disk=1 1763884800',
      'obsmon_mount,node=ccd01,mount=C:/ disk=2 1763884800',
      'obsmon_mount,node=ccd01,mount=x\\y disk=3 1763884800',
    ],
  },
  {
    name: 'a node-wide value after a qualified one: lines in the order of their first sample',
    input: report([
      { key: 'rx', qualifier: 'eth0', value: 1200 },
      { key: 'cpu', value: 0.25 },
      { key: 'tx', qualifier: 'eth0', value: 80 },
      { key: 'mem', value: 43.125 },
    ]),
    expect: [
      'obsmon_interface,node=ccd01,interface=eth0 rx=1200,tx=80 1763884800',
      'obsmon_node,node=ccd01 cpu=0.25,mem=43.125 1763884800',
    ],
  },
  {
    name: 'separators in a node name are escaped in every line',
    input: report(
      [
        { key: 'cpu', value: 1 },
        { key: 'disk', qualifier: '/data', value: 2 },
      ],
      1763884800,
      'ccd 01,a=b',
    ),
    expect: [
      'obsmon_node,node=ccd\\ 01\\,a\\=b cpu=1 1763884800',
      'obsmon_mount,node=ccd\\ 01\\,a\\=b,mount=/data disk=2 1763884800',
    ],
  },
  {
    name: 'a report without samples has no line',
    input: report([]),
    expect: [],
  },
  {
    name: 'a fractional agent time is floored to the second',
    input: report([{ key: 'cpu', value: 1 }], 1763884800.97),
    expect: ['obsmon_node,node=ccd01 cpu=1 1763884800'],
  },
  {
    name: 'tiny and huge values keep full precision in exponent form',
    input: report([
      { key: 'rx', value: 1.5e21 },
      { key: 'load1', value: 1e-7 },
    ]),
    expect: ['obsmon_node,node=ccd01 rx=1.5e+21,load1=1e-7 1763884800'],
  },
];

describe('reportToLines', () => {
  test.each(cases)('$name', ({ input, expect: lines }) => {
    expect(reportToLines(input)).toEqual(lines);
  });

  test('timestampOfLine reads the time back', () => {
    expect(timestampOfLine('obsmon_node,node=a cpu=1 1763884800')).toBe(1763884800);
  });

  test('timestampOfLine reads any tail as Number() reads the text after the last space', () => {
    const tails = ['x 0', 'x 00123', 'x 1763884800.25', 'x ', 'nospace', '123', 'x 1e5', 'x -5', 'a 12 ', 'a\t12', ''];
    const long = ['x 999999999999999', 'x 9999999999999999', 'x 1234567890123456789', 'x 0000000000000000001'];
    for (const line of [...tails, ...long])
      expect(timestampOfLine(line), JSON.stringify(line)).toBe(Number(line.slice(line.lastIndexOf(' ') + 1)));
  });
});

describe('no custom key can collide with the storage layout', () => {
  test("every tag a series can be stored under, and InfluxDB's time, is a reserved name or a standard key", () => {
    const tags = new Set([
      'node',
      ...[...STANDARD_KEYS.map((k) => k.key), 'some_custom'].flatMap(
        (key) => locate(key, 'x').qualifierTag?.name ?? [],
      ),
    ]);
    for (const name of [...tags, 'time'])
      expect(RESERVED_KEYS.has(name) || standardKey(name) !== undefined, name).toBe(true);
    for (const name of RESERVED_KEYS) expect(keyKind(name), name).toBe('reserved');
  });
});
