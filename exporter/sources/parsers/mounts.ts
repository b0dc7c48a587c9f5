/** One line of /proc/mounts (fstab format). */
export interface MountEntry {
  readonly device: string;
  readonly mountPoint: string;
  readonly fsType: string;
}

// The kernel writes space, tab, newline and backslash in paths as 3-digit octal escapes.
const OCTAL_ESCAPE = /\\([0-7]{3})/g;

function unescape(field: string): string {
  return field.replace(OCTAL_ESCAPE, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** `/proc/mounts`, in mount order; lines with fewer than three fields are skipped. */
export function parseMounts(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const [device, mountPoint, fsType] = line.trim().split(/\s+/);
    if (device === undefined || mountPoint === undefined || fsType === undefined) continue;
    entries.push({ device: unescape(device), mountPoint: unescape(mountPoint), fsType });
  }
  return entries;
}

/**
 * Mount points of `/proc/mounts` mounted read-only now: the `ro` option of the last (visible) mount
 * of each point. An ext4 that hit an error and remounted itself read-only shows here.
 */
export function readOnlyMountPoints(text: string): Set<string> {
  const readOnly = new Set<string>();
  for (const line of text.split('\n')) {
    const [device, mountPoint, fsType, options] = line.trim().split(/\s+/);
    if (device === undefined || mountPoint === undefined || fsType === undefined || options === undefined) continue;
    const point = unescape(mountPoint);
    if (options.split(',').includes('ro')) readOnly.add(point);
    else readOnly.delete(point);
  }
  return readOnly;
}
