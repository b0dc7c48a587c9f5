import { describe, expect, test } from 'vitest';
import { parseTextfile } from '../../../../../exporter/sources/parsers/textfile.ts';

describe('parseTextfile', () => {
  test('key=value and key@qualifier=value lines, comments and blank lines, full precision', () => {
    const text =
      '# written by dome-weather.py\ndome_humidity=45.5\n\n  ccd_setpoint=-100  \nccd_temp@chip=-99.875\nexposure_seconds=1e3\r\n';
    expect(parseTextfile(text)).toEqual({
      samples: [
        { key: 'dome_humidity', value: 45.5 },
        { key: 'ccd_setpoint', value: -100 },
        { key: 'ccd_temp', qualifier: 'chip', value: -99.875 },
        { key: 'exposure_seconds', value: 1000 },
      ],
      skipped: [],
    });
  });

  test('a last line without a newline still counts', () => {
    expect(parseTextfile('a=1\nb=2').samples).toEqual([
      { key: 'a', value: 1 },
      { key: 'b', value: 2 },
    ]);
  });

  test("invalid lines are skipped with their line number and the decoder's reason; the rest is kept", () => {
    const text = [
      'dome_humidity=45.5', // 1 ok
      'Humidity=3', // 2 upper case
      'dome-temp=4', // 3 dash
      'a23456789012345678901234567890123=1', // 4 33 characters
      'node=1', // 5 reserved
      'process@x=1', // 6 reserved with a qualifier
      'cpu=5', // 7 standard key: the collectors measure it
      'cpu_percent=5', // 8 a LAMOST alias of a standard key
      'wind=NaN', // 9
      'wind=Inf', // 10
      'wind=1e999', // 11 not finite
      'wind=12,5', // 12
      'wind=0x1f', // 13
      'wind=', // 14
      'wind 5', // 15 no =
      'wind = 5', // 16 spaces make several fields
      'wind=5 gust=9', // 17
      '=5', // 18
      'wind\t=5', // 19 a tab
      'temp_ext=5°', // 20 non-ASCII
      'ok_key=7', // 21 ok
      'x@=1', // 22 empty qualifier
    ].join('\n');
    const { samples, skipped } = parseTextfile(text);
    expect(samples).toEqual([
      { key: 'dome_humidity', value: 45.5 },
      { key: 'ok_key', value: 7 },
    ]);
    expect(skipped).toEqual([
      { line: 2, reason: 'bad_key' },
      { line: 3, reason: 'bad_key' },
      { line: 4, reason: 'bad_key' },
      { line: 5, reason: 'reserved_key' },
      { line: 6, reason: 'reserved_key' },
      { line: 7, reason: 'standard_key' },
      { line: 8, reason: 'standard_key' },
      { line: 9, reason: 'bad_value' },
      { line: 10, reason: 'bad_value' },
      { line: 11, reason: 'bad_value' },
      { line: 12, reason: 'bad_value' },
      { line: 13, reason: 'bad_value' },
      { line: 14, reason: 'bad_value' },
      { line: 15, reason: 'malformed' },
      { line: 16, reason: 'malformed' },
      { line: 17, reason: 'malformed' },
      { line: 18, reason: 'malformed' },
      { line: 19, reason: 'malformed' },
      { line: 20, reason: 'malformed' },
      { line: 22, reason: 'bad_key' },
    ]);
  });

  test('names of Object.prototype members are ordinary custom keys', () => {
    expect(parseTextfile('__proto__=2\n').skipped).toEqual([{ line: 1, reason: 'bad_key' }]);
    expect(parseTextfile('constructor=1\nvalue_of=2\n').samples).toEqual([
      { key: 'constructor', value: 1 },
      { key: 'value_of', value: 2 },
    ]);
  });
});
