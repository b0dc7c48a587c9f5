/** The characters a value name may use: no whitespace, `"`, `.` (DEVICE.value) or `[` (array index), docs/rts2-wire.md §5. */
const UNSAFE = /[^A-Za-z0-9_]+/g;
const MAX_NAME_LENGTH = 64;

/**
 * Longest node alias: rts2-mon sizes its name column to the longest value name, so a long node name
 * (`ccd01-control.observatory.example.org`) would push every value off an 80-column screen. With the
 * longest suffix (`disk_` + a mount of at most MAX_MOUNT_LENGTH) a value name stays within
 * MAX_NODE_VALUE_NAME characters.
 */
export const MAX_ALIAS_LENGTH = 14;
export const MAX_MOUNT_LENGTH = 10;
export const MAX_NODE_VALUE_NAME = MAX_ALIAS_LENGTH + 1 + 'disk_'.length + MAX_MOUNT_LENGTH;
const TAG_LENGTH = 4;

/** `/var/log` -> `var_log`, `gw-1.site` -> `gw_1_site`; empty results become `fallback`. */
export function sanitizeName(text: string, fallback = 'x'): string {
  const name = text
    .replace(UNSAFE, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, MAX_NAME_LENGTH);
  return name === '' ? fallback : name;
}

/** FNV-1a, 32 bit: a short, stable tag for disambiguating names. */
export function tag(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(36).padStart(7, '0').slice(-TAG_LENGTH);
}

/** `prefix_tag` within `max` characters: the start of the sanitised text plus a tag of the original. */
function tagged(original: string, sanitized: string, max: number): string {
  const prefix = sanitized.slice(0, max - TAG_LENGTH - 1).replace(/_+$/, '');
  return `${prefix === '' ? 'n' : prefix}_${tag(original)}`;
}

/**
 * The alias of a node in value names (`<alias>_cpu`), from its name alone, so it is the same after a
 * restart and whatever order nodes arrive in: a name that already is a short RTS2 name (`cam1`) is
 * its own alias; any other (`gw-1`, `a.b`, longer than MAX_ALIAS_LENGTH) becomes its first letters
 * plus a 4-character tag of the full name (`ccd01_con_k3x9`). So `a.b` and `a_b` never compete for
 * one alias, and every value of a node carries the same tag.
 */
export function nodeAlias(node: string): string {
  if (/^[A-Za-z0-9][A-Za-z0-9_]*$/.test(node) && node.length <= MAX_ALIAS_LENGTH && !node.endsWith('_')) return node;
  return tagged(node, sanitizeName(node, 'node'), MAX_ALIAS_LENGTH);
}

/** The mount part of `<alias>_disk_<mount>`: `/data` -> `data`, long mounts shortened with a tag. */
export function mountPart(mount: string): string {
  const name = sanitizeName(mount, 'root');
  return name.length <= MAX_MOUNT_LENGTH ? name : tagged(mount, name, MAX_MOUNT_LENGTH);
}

/**
 * One alias per node for the life of the device: nodeAlias, unless that alias is taken by another
 * node or would make a device value name (`worst` -> `worst_cpu`); then the node gets a tag of its
 * own (again one for all its values). Only such rare clashes depend on arrival order.
 */
export class NodeAliases {
  private readonly byNode = new Map<string, string>();
  private readonly taken = new Set<string>();

  constructor(private readonly reserved: readonly string[]) {}

  has(node: string): boolean {
    return this.byNode.has(node);
  }

  alias(node: string): string {
    const known = this.byNode.get(node);
    if (known !== undefined) return known;
    let alias = nodeAlias(node);
    for (let n = 1; this.clashes(alias); n += 1)
      alias = tagged(`${node}#${n}`, sanitizeName(node, 'node'), MAX_ALIAS_LENGTH);
    this.taken.add(alias);
    this.byNode.set(node, alias);
    return alias;
  }

  /** node -> alias of every node seen so far. */
  entries(): IterableIterator<[string, string]> {
    return this.byNode.entries();
  }

  private clashes(alias: string): boolean {
    return this.taken.has(alias) || this.reserved.some((name) => name === alias || name.startsWith(`${alias}_`));
  }
}

/**
 * Hands out value names, one per identity (e.g. `node:a.b:disk@/x`), for the life of the device.
 * Node aliases keep nodes apart; what can still clash (two mounts of one node sanitised alike,
 * `/x y` and `/x_y`) is settled here: the first keeps the name, later ones get a tag derived from
 * their identity, so a name never changes owner.
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
