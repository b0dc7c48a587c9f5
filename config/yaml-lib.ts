import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

let lib: typeof Yaml | undefined;

/**
 * The `yaml` package, loaded on first use: a default start reads no YAML (the built-in thresholds are
 * embedded in the compiled CLI: config/builtin-thresholds.ts), and loading it costs a process about a
 * megabyte it keeps. Synchronous, as its readers are: node_modules/yaml is CommonJS for Node, so
 * `require` takes it; the compiled CLI leaves it out of the bundle (it loads beside dist/cli/ from
 * node_modules, like snappy), and the agent's single-file bundle, which has no node_modules, puts it
 * back in (deploy/package/build.ts).
 */
export function yamlLib(): typeof Yaml {
  lib ??= createRequire(import.meta.url)('yaml') as typeof Yaml;
  return lib;
}
