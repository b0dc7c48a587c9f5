import { describe, expect, test } from 'vitest';
import { localDiskFilesystems } from '../../../../exporter/sources/local-filesystems.ts';
import { parseMounts } from '../../../../exporter/sources/parsers/mounts.ts';

const mounts = (text: string) => localDiskFilesystems(parseMounts(text)).map((m) => m.mountPoint);

describe('localDiskFilesystems', () => {
  test('keeps disk filesystems and skips kernel, memory, image and network ones', () => {
    const text = [
      'rootfs / rootfs rw 0 0',
      '/dev/vda / ext4 rw 0 0',
      'proc /proc proc rw 0 0',
      'sysfs /sys sysfs rw 0 0',
      'tmpfs /run tmpfs rw 0 0',
      'devtmpfs /dev devtmpfs rw 0 0',
      'cgroup /sys/fs/cgroup/cpu cgroup rw 0 0',
      'overlay /var/lib/docker/overlay2/x/merged overlay rw 0 0',
      '/dev/loop3 /snap/lxd/1 squashfs ro 0 0',
      'nas:/export /mnt/nas nfs4 rw 0 0',
      '//srv/share /mnt/smb cifs rw 0 0',
      '/dev/vdb1 /data xfs rw 0 0',
      'tank/home /home zfs rw 0 0',
    ].join('\n');
    expect(mounts(text)).toEqual(['/', '/data', '/home']);
  });

  test('counts a device once, preferring / over its other mounts', () => {
    const text = [
      '/dev/sda2 /srv/bind ext4 rw 0 0',
      '/dev/sda2 / ext4 rw 0 0',
      '/dev/sdb1 /data xfs rw 0 0',
      '/dev/sdb1 /data2 xfs rw 0 0',
    ].join('\n');
    expect(mounts(text)).toEqual(['/', '/data']);
  });

  test('a mount point mounted over counts with its visible (last) filesystem only', () => {
    expect(mounts('/dev/sdc1 /mnt ext4 rw 0 0\ntmpfs /mnt tmpfs rw 0 0\n')).toEqual([]);
    expect(mounts('tmpfs /mnt tmpfs rw 0 0\n/dev/sdc1 /mnt ext4 rw 0 0\n')).toEqual(['/mnt']);
  });
});
