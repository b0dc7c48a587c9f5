import { MAX_QUALIFIER_LENGTH } from '../protocol/keys.ts';

// QUALIFIER_PATTERN allows visible ASCII except `=`; everything else becomes `_`.
const NOT_ALLOWED = /[^\x21-\x3c\x3e-\x7e]/g;

/**
 * A mount, interface or sensor name as a protocol qualifier: a mount "/mnt/my disk" becomes
 * `/mnt/my_disk`, names longer than the protocol allows are cut. `undefined` for an empty name.
 */
export function toQualifier(name: string): string | undefined {
  const text = name.replace(NOT_ALLOWED, '_').slice(0, MAX_QUALIFIER_LENGTH);
  return text === '' ? undefined : text;
}
