import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../../config/config-error.ts';

/** Read and validate a YAML data file; any problem is one ConfigError line naming file and path. */
export function readYamlFile<T>(path: string, schema: z.ZodType<T>, what: string): T {
  let data: unknown;
  try {
    data = parseYaml(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ConfigError(`Cannot read ${what} "${path}": ${(error as Error).message.split('\n')[0]}`);
  }
  const result = schema.safeParse(data ?? {});
  if (!result.success) {
    const issue = result.error.issues[0];
    const at = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    throw new ConfigError(`Invalid ${what} "${path}"${at}: ${issue?.message ?? 'unexpected content'}`);
  }
  return result.data;
}
