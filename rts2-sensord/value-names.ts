/** The characters a value name may use: no whitespace, `"`, `.` (DEVICE.value) or `[` (array index), docs/rts2-wire.md §5. */
const UNSAFE = /[^A-Za-z0-9_]+/g;
const MAX_NAME_LENGTH = 64;

/** `/var/log` -> `var_log`, `gw-1.site` -> `gw_1_site`; empty results become `fallback`. */
export function sanitizeName(text: string, fallback = 'x'): string {
  const name = text.replace(UNSAFE, '_').replace(/^_+|_+$/g, '').slice(0, MAX_NAME_LENGTH);
  return name === '' ? fallback : name;
}

/** FNV-1a, 32 bit: a short, stable tag for disambiguating names. */
function tag(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(36).padStart(7, '0').slice(-4);
}

/**
 * Hands out value names, one per identity (e.g. `node:a.b:disk@/x`), for the life of the device.
 * Sanitising can map different identities to one name (`a.b` and `a_b`); the first keeps it, later
 * ones get a tag derived from their identity, so a name never changes owner.
 */
export class ValueNames {
  private readonly byIdentity = new Map<string, string>();
  private readonly taken = new Set<string>();

  /** Reserve names the device itself uses (`infotime`, `worst_cpu`, ...). */
  reserve(name: string): void {
    this.taken.add(name);
  }

  claim(identity: string, wanted: string): string {
    const known = this.byIdentity.get(identity);
    if (known !== undefined) return known;
    let name = wanted;
    for (let n = 0; this.taken.has(name); n += 1) name = `${wanted}_${tag(n === 0 ? identity : `${identity}#${n}`)}`;
    this.taken.add(name);
    this.byIdentity.set(identity, name);
    return name;
  }
}
