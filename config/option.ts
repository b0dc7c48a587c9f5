import type * as z from './zod.ts';

/** How a value written as text (flag or environment) becomes typed before validation. */
export type OptionKind = 'string' | 'number' | 'boolean' | 'list';

/** One option of a subcommand; its flag, environment variable and config-file key derive from its name. */
export interface OptionSpec<T = unknown> {
  readonly kind: OptionKind;
  readonly schema: z.ZodMiniType<T>;
  /** Used when no source sets the option; `undefined` means "not set" (the schema must allow it). */
  readonly default: T;
  readonly help: string;
  /** What a value looks like in `--help`, e.g. `<host:port>`. */
  readonly placeholder?: string;
}

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;
export type OptionValues<S extends OptionSpecs> = {
  readonly [K in keyof S]: S[K] extends OptionSpec<infer T> ? T : never;
};

export function option<T>(
  kind: OptionKind,
  schema: z.ZodMiniType<T>,
  defaultValue: T,
  help: string,
  placeholder?: string,
): OptionSpec<T> {
  return placeholder === undefined
    ? { kind, schema, default: defaultValue, help }
    : { kind, schema, default: defaultValue, help, placeholder };
}

/** `ingestPort` -> `ingest-port` (flag and config-file key). */
export function flagName(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** `ingestPort` -> `OBSMON_INGEST_PORT`. */
export function envName(name: string): string {
  return `OBSMON_${flagName(name).replace(/-/g, '_').toUpperCase()}`;
}
