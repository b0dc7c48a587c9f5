// Option schemas both the bridge and the agent parse their flags and config files with (bridge/options.ts,
// exporter/options.ts): one wording of each error for the same kind of value.
import * as z from '../config/zod.ts';
import { wholeNumber } from '../config/common-schemas.ts';

/** An http(s) base URL, or unset. */
export const optionalUrl = z.optional(
  z.string().check(
    z.refine(
      (s) => {
        try {
          return ['http:', 'https:'].includes(new URL(s).protocol);
        } catch {
          return false;
        }
      },
      { error: 'expected an http:// or https:// URL, e.g. http://127.0.0.1:8086' },
    ),
  ),
);

/** A non-empty string, or unset. */
export const optionalText = z.optional(z.string().check(z.minLength(1, { error: 'expected a non-empty value' })));

/** A size in bytes between min and max. */
export const byteSize = (min: number, max: number) =>
  wholeNumber(min, max, `expected a whole number of bytes ${min}..${max}`);
