import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ConfigError } from '../../../config/config-error.ts';
import { loadOptions } from '../../../config/load.ts';
import { checkExporterOptions } from '../../../exporter/check-options.ts';
import { exporterOptionSpecs } from '../../../exporter/options.ts';

const dir = mkdtempSync(join(tmpdir(), 'obsmon-check-options-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const load = (argv: string[]) => loadOptions(exporterOptionSpecs, ['--node', 'n1', ...argv], {}).values;

describe('exporter options for the checks', () => {
  test('--process and --textfile-dir with their collectors pass, and say what they found', () => {
    expect(checkExporterOptions(load(['--process', 'rts2-centrald,tcs', '--textfile-dir', dir]))).toEqual({
      processes: 'rts2-centrald, tcs',
      textfile: dir,
    });
    expect(checkExporterOptions(load([]))).toEqual({
      processes: 'none (--process not set)',
      textfile: 'none (--textfile-dir not set)',
    });
  });

  test('an option whose collector is left out of --collectors is refused, not silently ignored', () => {
    expect(() => checkExporterOptions(load(['--collectors', 'cpu', '--process', 'tcs']))).toThrow(
      /--process is set but --collectors leaves out "named-processes"/,
    );
    expect(() => checkExporterOptions(load(['--collectors', 'cpu', '--textfile-dir', dir]))).toThrow(
      /--textfile-dir is set but --collectors leaves out "textfile"/,
    );
  });

  test('a textfile directory that is missing or a file is a ConfigError', () => {
    writeFileSync(join(dir, 'file'), '');
    expect(() => checkExporterOptions(load(['--textfile-dir', join(dir, 'nope')]))).toThrow(ConfigError);
    expect(() => checkExporterOptions(load(['--textfile-dir', join(dir, 'file')]))).toThrow(/not a directory/);
  });

  test('process names: at most 16, each a protocol qualifier, none twice', () => {
    const names = (n: number) => Array.from({ length: n }, (_, i) => `p${i}`).join(',');
    expect(load(['--process', names(16)]).process).toHaveLength(16);
    expect(() => load(['--process', names(17)])).toThrow(/at most 16 process names/);
    expect(() => load(['--process', 'a=b'])).toThrow(/process name/);
    expect(() => load(['--process', 'x'.repeat(65)])).toThrow(/process name/);
    expect(() => load(['--process', 'tcs,tcs'])).toThrow(/listed twice/);
  });
});
