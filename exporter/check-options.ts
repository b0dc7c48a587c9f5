import { statSync } from 'node:fs';
import { ConfigError } from '../config/config-error.ts';
import type { ExporterOptions } from './options.ts';

/**
 * Option combinations the agent refuses at start (and `obsmon check-config exporter` with it): a
 * `--process` or `--textfile-dir` whose collector is not enabled would be silently ignored, and a
 * textfile directory that does not exist is a typo. Returns what the checks found, for check-config.
 */
export function checkExporterOptions(o: ExporterOptions): { processes: string; textfile: string } {
  for (const [flag, set, collector] of [
    ['--process', o.process.length > 0, 'named-processes'],
    ['--textfile-dir', o.textfileDir !== undefined, 'textfile'],
  ] as const) {
    if (set && !o.collectors.includes(collector))
      throw new ConfigError(`${flag} is set but --collectors leaves out "${collector}", which reads it`);
  }
  if (o.textfileDir !== undefined) {
    let directory: boolean;
    try {
      directory = statSync(o.textfileDir).isDirectory();
    } catch (error) {
      throw new ConfigError(`Invalid --textfile-dir "${o.textfileDir}": ${(error as Error).message}`);
    }
    if (!directory) throw new ConfigError(`Invalid --textfile-dir "${o.textfileDir}": not a directory`);
  }
  return {
    processes: o.process.length === 0 ? 'none (--process not set)' : o.process.join(', '),
    textfile: o.textfileDir === undefined ? 'none (--textfile-dir not set)' : o.textfileDir,
  };
}
