import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parseNvidiaSmiLine } from '../../../../../exporter/sources/parsers/nvidia-smi.ts';

const FIXTURE = readFileSync(new URL('../../../../fixtures/nvidia-smi/query-gpu.csv', import.meta.url), 'utf8');

describe('parseNvidiaSmiLine', () => {
  test('the fixture: index, utilisation, memory used share, temperature; [N/A] and [Not Supported] left out', () => {
    expect(FIXTURE.trimEnd().split('\n').map(parseNvidiaSmiLine)).toEqual([
      { gpu: '0', utilizationPercent: 87, memoryUsedPercent: (10240 / 24576) * 100, celsius: 71 },
      { gpu: '1', utilizationPercent: 0, memoryUsedPercent: (3 / 24576) * 100, celsius: 34 },
      { gpu: '2' },
      { gpu: '3', memoryUsedPercent: 6.25, celsius: 45 },
    ]);
  });

  test('a CRLF-free line with extra spaces still parses', () => {
    expect(parseNvidiaSmiLine('  7 ,12,  0 , 100 , 50 ')).toEqual({
      gpu: '7',
      utilizationPercent: 12,
      memoryUsedPercent: 0,
      celsius: 50,
    });
  });

  test.each([
    {
      name: 'the driver error message',
      line: "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.",
    },
    {
      name: 'a CSV header',
      line: 'index, utilization.gpu [%], memory.used [MiB], memory.total [MiB], temperature.gpu',
    },
    { name: 'a torn line', line: '0, 87, 10240' },
    { name: 'too many fields', line: '0, 1, 2, 3, 4, 5' },
    { name: 'a non-numeric index', line: 'x, 1, 2, 3, 4' },
    { name: 'an empty line', line: '' },
  ])('$name is not a reading', ({ line }) => {
    expect(parseNvidiaSmiLine(line)).toBeUndefined();
  });

  test('values outside their range are left out, not sent (utilisation over 100, used over total)', () => {
    expect(parseNvidiaSmiLine('0, 101, 9000, 8192, -5')).toEqual({ gpu: '0' });
  });
});
