import type { MountEntry } from './parsers/mounts.ts';

// Kernel and memory filesystems, and the read-only or always-full kinds (images, CDs).
const PSEUDO = new Set([
  'autofs',
  'binfmt_misc',
  'bpf',
  'cgroup',
  'cgroup2',
  'configfs',
  'debugfs',
  'devpts',
  'devtmpfs',
  'efivarfs',
  'fusectl',
  'hugetlbfs',
  'iso9660',
  'mqueue',
  'nsfs',
  'overlay',
  'proc',
  'pstore',
  'ramfs',
  'rpc_pipefs',
  'securityfs',
  'selinuxfs',
  'squashfs',
  'sysfs',
  'tmpfs',
  'tracefs',
  'udf',
  'fuse.lxcfs',
  'fuse.gvfsd-fuse',
  'fuse.portal',
  'fuse.snapfuse',
  'nfsd',
  'rootfs',
]);

// A statfs on a dead server blocks a libuv thread for minutes; network filesystems are reported only
// when listed in --mounts (like `df -l`).
const NETWORK = new Set([
  'nfs',
  'nfs4',
  'cifs',
  'smb3',
  'smbfs',
  'ceph',
  'glusterfs',
  'fuse.sshfs',
  'fuse.rclone',
  '9p',
  'afs',
  'lustre',
]);

// In-kernel block filesystems whose statfs answers from counters in memory (no I/O, no daemon): they are
// measured synchronously, as a pool round trip costs more than the call (exporter/README.md, "What a cycle
// costs"). Every other type (network, FUSE, unknown) goes through libuv's thread pool, where a hung one
// blocks a pool thread rather than the agent.
const ANSWERS_FROM_MEMORY = new Set([
  'ext2',
  'ext3',
  'ext4',
  'xfs',
  'btrfs',
  'f2fs',
  'vfat',
  'exfat',
  'jfs',
  'reiserfs',
  'ntfs3',
  'bcachefs',
]);

/** Whether a statfs of this filesystem type cannot wait on a device, a server or a daemon. */
export function statfsAnswersFromMemory(fsType: string): boolean {
  return ANSWERS_FROM_MEMORY.has(fsType);
}

/**
 * The local disk filesystems among the mounts. A mount point mounted over counts once, with its
 * last (visible) mount. A device counts once, because bind mounts and btrfs subvolumes show the
 * same usage again: its first mount wins, except that `/` always does.
 */
export function localDiskFilesystems(mounts: readonly MountEntry[]): MountEntry[] {
  const byMountPoint = new Map<string, MountEntry>();
  for (const entry of mounts) {
    if (PSEUDO.has(entry.fsType) || NETWORK.has(entry.fsType) || entry.device === 'none') {
      byMountPoint.delete(entry.mountPoint);
      continue;
    }
    byMountPoint.delete(entry.mountPoint);
    byMountPoint.set(entry.mountPoint, entry);
  }
  const byDevice = new Map<string, MountEntry>();
  for (const entry of byMountPoint.values()) {
    if (!byDevice.has(entry.device) || entry.mountPoint === '/') byDevice.set(entry.device, entry);
  }
  return [...byDevice.values()];
}
