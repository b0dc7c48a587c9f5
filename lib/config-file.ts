import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/config-error.ts';

/**
 * A file named by the configuration, read at start-up or reload: a missing or unreadable file is one
 * ConfigError line naming what it is for (a flag, e.g. `--tls-cert`) and the path.
 */
export function readConfigFile(path: string, what: string): Buffer;
export function readConfigFile(path: string, what: string, encoding: BufferEncoding): string;
export function readConfigFile(path: string, what: string, encoding?: BufferEncoding): Buffer | string {
  try {
    return encoding === undefined ? readFileSync(path) : readFileSync(path, encoding);
  } catch (error) {
    throw new ConfigError(`Cannot read ${what} "${path}": ${(error as Error).message.split('\n')[0]}`);
  }
}
