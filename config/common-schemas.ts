import * as z from './zod.ts';
import { didYouMean } from './closest-name.ts';
import { parseHostPort, type HostPort } from '../lib/host-port.ts';

/** A whole number in min..max; every way of missing it gets the one message. */
export const wholeNumber = (min: number, max: number, error: string) =>
  z.number({ error }).check(z.int({ error }), z.minimum(min, { error }), z.maximum(max, { error }));

export const port = wholeNumber(0, 65535, 'expected a TCP port number 0..65535');

export const seconds = (min: number, max: number) =>
  z
    .number({ error: `expected seconds between ${min} and ${max}` })
    .check(
      z.minimum(min, { error: `expected seconds between ${min} and ${max}` }),
      z.maximum(max, { error: `expected seconds between ${min} and ${max}` }),
    );

export const positiveInt = (max: number) => wholeNumber(1, max, `expected a whole number 1..${max}`);

export const address = z
  .string({ error: 'expected an IP address or host name' })
  .check(z.minLength(1, { error: 'expected an IP address or host name' }));

/** `host:port` or `[v6]:port`. */
export const hostPort = z.string().check(
  z.refine((s) => parseHostPort(s) !== undefined, {
    error: 'expected <host:port>, e.g. 10.0.0.5:7070 or [::1]:7070',
  }),
);

/** A value `hostPort` accepted, split. */
export function splitHostPort(s: string): HostPort {
  const parsed = parseHostPort(s);
  if (parsed === undefined) throw new Error(`not host:port: ${s}`);
  return parsed;
}

export const optionalPath = z.optional(z.string().check(z.minLength(1, { error: 'expected a file path' })));

export const logLevel = z.enum(['debug', 'info', 'warn', 'error'], {
  error: 'expected one of debug, info, warn, error',
});

/** A value as an error message quotes it: strings quoted, containers named. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** `true` or `false`; the message quotes what was there (YAML 1.2 reads `yes` as a string). */
export const yamlBoolean = z.boolean({ error: (issue) => `expected true or false, got ${describeValue(issue.input)}` });

/**
 * A mapping with exactly these keys (data files): an unknown key is named with the keys expected and
 * the closest one, a value of the wrong kind with what it was.
 */
export function closedObject<S extends z.core.$ZodLooseShape>(shape: S, what: string) {
  const keys = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code === 'unrecognized_keys') {
        const key = issue.keys[0] ?? '';
        return `unknown key "${key}" (expected ${keys.join(', ')}${didYouMean(key, keys)})`;
      }
      if (issue.code === 'invalid_type') return `expected ${what}, got ${describeValue(issue.input)}`;
      return undefined;
    },
  });
}
