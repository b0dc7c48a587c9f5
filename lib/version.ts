import { readFileSync } from 'node:fs';

// Defined by the bundler (deploy/package/build.ts), where no package.json sits beside the code.
declare const OBSMON_BUNDLED_VERSION: string | undefined;

/** obsmon's version: `obsmon --version`, `obsmon_build_info`, the agent's report to the bridge. */
export const VERSION: string =
  typeof OBSMON_BUNDLED_VERSION === 'string'
    ? OBSMON_BUNDLED_VERSION
    : (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
