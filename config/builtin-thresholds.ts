/**
 * The built-in thresholds file (config/thresholds.yaml) as the compiled CLI embeds it: the build
 * (deploy/build/cli-bundle.ts) replaces this module by the file's validated levels as JSON text, with
 * the file's size and mtime then, so a default start neither reads YAML nor loads the `yaml` package.
 * The file stays the levels' one home: config/thresholds.ts uses the embedded copy only while the file
 * still has that size and mtime (one stat), and reads the file otherwise (an operator's edit, an
 * rts2-mon write, a SIGHUP after either). In the TypeScript (tsx, the tests) there is none.
 */
export interface EmbeddedThresholds {
  readonly size: number;
  readonly mtimeMs: number;
  /** The validated ThresholdsConfig, JSON.stringify'd: parsed per load, so no two loads share objects. */
  readonly json: string;
}

export const EMBEDDED_THRESHOLDS: EmbeddedThresholds | undefined = undefined;
