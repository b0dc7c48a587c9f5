import { readYamlSource } from './yaml-source.ts';
import { resolveOptions, type LoadedOptions } from './resolve-options.ts';
import type { OptionSpecs } from './option.ts';

export type { LoadedOptions } from './resolve-options.ts';

/**
 * Resolve every option of a subcommand: defaults <- YAML file (`--config`/`OBSMON_CONFIG`) <-
 * `OBSMON_*` environment <- flags (config/resolve-options.ts). Synchronous, so it loads the `yaml`
 * package with itself: the commands use loadCommandOptions, which loads it only for a named file.
 */
export function loadOptions<S extends OptionSpecs>(
  specs: S,
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): LoadedOptions<S> {
  return resolveOptions(specs, argv, env, readYamlSource);
}
