import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { BUILTIN_THRESHOLDS_PATH, saveDefaultLevels } from '../../../config/thresholds.ts';
import { ConfigError } from '../../../config/config-error.ts';
import { loadOptions } from '../../../config/load.ts';
import { CommandQueue } from '../../../rts2-sensord/command-queue.ts';
import { DeviceLevels } from '../../../rts2-sensord/levels.ts';
import { parseServer, sensordOptionSpecs } from '../../../rts2-sensord/options.ts';
import { rts2Argv } from '../../../rts2-sensord/rts2-argv.ts';
import { ThresholdValues } from '../../../rts2-sensord/threshold-values.ts';

import { ValueTable } from '../../../rts2-sensord/value-table.ts';
import { tempFile } from '../../helpers/rts2-peer/harness.ts';

describe('RTS2-style flags', () => {
  test.each([
    [
      ['-d', 'CLUSTER'],
      ['--device', 'CLUSTER'],
    ],
    [
      ['-dCLUSTER', '-i'],
      ['--device', 'CLUSTER'],
    ],
    [
      ['--debug', '--server', 'cd:617'],
      ['--log-level', 'debug', '--server', 'cd:617'],
    ],
    [
      ['--device', 'X', '--local-port', '5570'],
      ['--device', 'X', '--local-port', '5570'],
    ],
  ])('%j -> %j', (argv, mapped) => {
    expect(rts2Argv(argv)).toEqual(mapped);
  });

  test('the issue example loads', () => {
    const argv = [
      '-d',
      'OBSMON',
      '--server',
      '127.0.0.1:617',
      '--bridge',
      'http://10.0.0.2:7080',
      '--local-port',
      '5570',
      '--localhost',
      'obs1',
    ];
    const { values } = loadOptions(sensordOptionSpecs, rts2Argv(argv), {});
    expect(values).toMatchObject({
      device: 'OBSMON',
      server: '127.0.0.1:617',
      bridge: 'http://10.0.0.2:7080',
      localPort: 5570,
      localhost: 'obs1',
      observatoryVeto: 'none',
      hwErrorFrom: 'auto',
    });
  });

  test.each([
    [['-d', 'BAD.NAME'], /--device "BAD.NAME".*RTS2 device name/],
    [['--server', 'host:99999'], /--server/],
    [['--bridge', 'ftp://x'], /--bridge/],
    [['--observatory-veto', 'stop'], /expected none or bad-weather/],
  ])('%j is refused', (argv, message) => {
    expect(() => loadOptions(sensordOptionSpecs, rts2Argv(argv), {})).toThrow(message);
  });

  test.each([
    ['localhost', { host: 'localhost', port: 617 }],
    ['10.0.0.1:1617', { host: '10.0.0.1', port: 1617 }],
    ['[::1]:617', { host: '::1', port: 617 }],
    ['[::1]', { host: '::1', port: 617 }],
    ['::1', { host: '::1', port: 617 }],
    ['cd.example.org', { host: 'cd.example.org', port: 617 }],
    ['host:0', undefined],
    ['a b', undefined],
    ['', undefined],
  ])('--server %j', (text, expected) => {
    expect(parseServer(text)).toEqual(expected);
  });
});

describe('thresholds file', () => {
  test('an edited default is saved in place, comments and layout kept', () => {
    const path = tempFile('thresholds.yaml', readFileSync(BUILTIN_THRESHOLDS_PATH, 'utf8'));
    saveDefaultLevels(path, 'disk', { warning: 70, error: 85 });
    const text = readFileSync(path, 'utf8');
    expect(text).toContain('disk: { warning: 70, error: 85 }');
    expect(text).toContain('cpu: { warning: 85, error: 95 }');
    expect(text).toContain('# The LAMOST monitor turned a disk bar red at 80 %.');
    expect(DeviceLevels.load(path).defaultLevels('disk')).toEqual({ warning: 70, error: 85 });
  });

  test('a metric without defaults gets a new entry', () => {
    const path = tempFile('thresholds.yaml', 'defaults:\n  cpu: { warning: 1, error: 2 }\n');
    saveDefaultLevels(path, 'mem', { warning: 60, error: 70 });
    expect(DeviceLevels.load(path).defaultLevels('mem')).toEqual({ warning: 60, error: 70 });
  });

  test('an edit is validated before it is saved: a file made invalid since the load is refused, not rewritten', () => {
    const text = 'defaults:\n  cpu: { warning: 1, error: 2 }\n  dsk: { warning: 1, error: 2 }\n';
    const path = tempFile('thresholds.yaml', text);
    expect(() => saveDefaultLevels(path, 'cpu', { warning: 5, error: 6 })).toThrow(
      `${path}:3: defaults.dsk: unknown metric "dsk"`,
    );
    expect(readFileSync(path, 'utf8')).toBe(text);
  });

  test('an invalid file is a ConfigError naming it', () => {
    const path = tempFile('thresholds.yaml', 'defaults:\n  cpu: { warning: 9, error: 2 }\n');
    expect(() => DeviceLevels.load(path)).toThrow(ConfigError);
  });
});

describe('CommandQueue', () => {
  test('one command in flight; returns pair in order; front jumps the queue; failure reaches all', () => {
    const written: string[] = [];
    const done: string[] = [];
    const q = new CommandQueue((l) => written.push(l));
    q.send('register', (r) => done.push(`register ${r.code}`));
    q.send('a', (r) => done.push(`a ${r.code}`));
    q.send('authorize', (r) => done.push(`authorize ${r.code}`), true);
    expect(written).toEqual(['register']);
    q.returned({ code: 0, text: 'OK' });
    expect(written).toEqual(['register', 'authorize']);
    q.returned({ code: -5, text: 'x' });
    q.fail({ code: -5, text: 'lost' });
    expect(done).toEqual(['register 0', 'authorize -5', 'a -5']);
    expect(q.returned({ code: 0, text: '' })).toBe(false);
  });
});

describe('ThresholdValues', () => {
  test('an edit that cannot be saved is refused and changes nothing', () => {
    const levels = DeviceLevels.load();
    const table = new ValueTable();
    const values = new ThresholdValues(table, levels, () => {
      throw new Error('EACCES: permission denied');
    });
    values.define();
    expect(values.write('disk_warn', 70)).toEqual({
      code: -5,
      text: 'cannot save the thresholds file: EACCES: permission denied',
    });
    expect(table.get('disk_warn')!.value).toBe(80);
    expect(levels.defaultLevels('disk')).toEqual({ warning: 80, error: 90 });
  });
});
