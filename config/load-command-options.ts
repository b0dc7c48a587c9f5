import { configFilePath, resolveOptions, type LoadedOptions, type ReadYamlSource } from './resolve-options.ts';
import type { OptionSpecs } from './option.ts';

/** Never called: resolveOptions reads a file only when one is named, and then the real reader is passed. */
const noFileNamed: ReadYamlSource = () => {
  throw new Error('no config file was named');
};

/**
 * loadOptions (config/load.ts) for the `obsmon` commands: the YAML reader (the `yaml` package, a few MB
 * of RSS once loaded) is imported only when `--config`/`OBSMON_CONFIG` names a file, so an agent started
 * with flags or environment alone never loads it.
 */
export async function loadCommandOptions<S extends OptionSpecs>(
  specs: S,
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<LoadedOptions<S>> {
  const read =
    configFilePath(specs, argv, env) === undefined ? noFileNamed : (await import('./yaml-source.ts')).readYamlSource;
  return resolveOptions(specs, argv, env, read);
}
