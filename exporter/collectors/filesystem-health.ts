import type { Sample } from '../../protocol/line.ts';
import { toQualifier } from '../qualifier.ts';
import type { Collector } from './collector.ts';

/**
 * `inodes` (percent of inodes in use) and `disk_ro` (1 = mounted read-only) for the filesystems the
 * `filesystem` collector reports, the root one unqualified. Off by default: the standard report has
 * no room left for them. A filesystem without a fixed inode count (btrfs) has no `inodes`; a source
 * that cannot tell read-only (systeminformation on some systems) gives no `disk_ro`.
 */
export const filesystemHealthCollector: Collector = {
  name: 'filesystem-health',
  defaultEnabled: false,
  keys: ['inodes', 'inodes@<mount>', 'disk_ro', 'disk_ro@<mount>'],
  async collect(source) {
    const samples: Sample[] = [];
    for (const fs of await source.filesystems()) {
      const qualifier = fs.root ? undefined : toQualifier(fs.mount);
      if (!fs.root && qualifier === undefined) continue;
      const at = qualifier === undefined ? {} : { qualifier };
      if (fs.inodesTotal !== undefined && fs.inodesFree !== undefined && fs.inodesTotal > 0) {
        samples.push({ key: 'inodes', ...at, value: ((fs.inodesTotal - fs.inodesFree) / fs.inodesTotal) * 100 });
      }
      if (fs.readOnly !== undefined) samples.push({ key: 'disk_ro', ...at, value: fs.readOnly ? 1 : 0 });
    }
    return samples;
  },
};
