import { expect, test } from 'vitest';
import { readOnlyMountPoints } from '../../../../../exporter/sources/parsers/mounts.ts';

test('readOnlyMountPoints: the ro option of the last mount of each point, escapes decoded', () => {
  const text = [
    '/dev/sda2 / ext4 rw,relatime 0 0',
    '/dev/loop0 /snap/core/1 squashfs ro,nodev,relatime 0 0',
    // /data remounted read-only after an error, then a later mount over /srv made it writable again
    '/dev/sdb1 /data ext4 ro,relatime,errors=remount-ro 0 0',
    '/dev/sdc1 /srv ext4 ro 0 0',
    '/dev/sdd1 /srv ext4 rw,errors=remount-ro 0 0',
    '/dev/sde1 /mnt/usb\\040disk vfat ro,relatime 0 0',
    // "errors=remount-ro" alone is not read-only; a short line is skipped
    '/dev/sdf1 /scratch xfs rw,noatime,errors=remount-ro 0 0',
    'broken line',
    '',
  ].join('\n');
  expect([...readOnlyMountPoints(text)].sort()).toEqual(['/data', '/mnt/usb disk', '/snap/core/1']);
});
