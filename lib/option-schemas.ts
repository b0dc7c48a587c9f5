// Option schemas both the bridge and the agent parse their flags and config files with (bridge/options.ts,
// exporter/options.ts): one wording of each error for the same kind of value.
import { z } from 'zod';

/** An http(s) base URL, or unset. */
export const optionalUrl = z
  .string()
  .refine(
    (s) => {
      try {
        return ['http:', 'https:'].includes(new URL(s).protocol);
      } catch {
        return false;
      }
    },
    { error: 'expected an http:// or https:// URL, e.g. http://127.0.0.1:8086' },
  )
  .optional();

/** A non-empty string, or unset. */
export const optionalText = z.string().min(1, { error: 'expected a non-empty value' }).optional();

/** A size in bytes between min and max. */
export const byteSize = (min: number, max: number) =>
  z
    .number({ error: `expected a whole number of bytes ${min}..${max}` })
    .int({ error: `expected a whole number of bytes ${min}..${max}` })
    .min(min, { error: `expected a whole number of bytes ${min}..${max}` })
    .max(max, { error: `expected a whole number of bytes ${min}..${max}` });
