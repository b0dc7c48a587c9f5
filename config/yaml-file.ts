import type * as z from './zod.ts';
import { ConfigError } from './config-error.ts';
import { keyPath, readYamlSource, type YamlSource } from './yaml-source.ts';

/**
 * Read and validate a YAML data file. Any problem is one ConfigError line naming file, line, key and
 * what was expected, e.g. `inventory.yaml:4: nodes[1].critical: expected true or false, got "yes"`.
 */
export function readYamlFile<T>(path: string, schema: z.ZodMiniType<T>, what: string): T {
  return validateYaml(readYamlSource(path, what), schema);
}

export function validateYaml<T>(source: YamlSource, schema: z.ZodMiniType<T>): T {
  const result = schema.safeParse(source.data ?? {});
  if (result.success) return result.data;
  // An unknown key usually explains the rest (`eror:` also makes `error` missing): name it first.
  const issue = result.error.issues.find((i) => i.code === 'unrecognized_keys') ?? result.error.issues[0];
  if (issue === undefined) throw new ConfigError(`${source.path}: unexpected content`);
  // An unknown key is reported at its own line, not at the mapping holding it.
  const keys =
    issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined ? [...issue.path, issue.keys[0]] : issue.path;
  const line = source.lineOf(keys);
  const where = line === undefined ? source.path : `${source.path}:${line}`;
  // Its message names the key; the prefix is the mapping it is in.
  const key = keyPath(issue.path);
  throw new ConfigError(`${where}: ${key === '' ? '' : `${key}: `}${issue.message}`);
}
