import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import type { CollectorConfig, CollectorState } from '../../../../exporter/collectors/collector.ts';
import { namedProcessesCollector } from '../../../../exporter/collectors/named-processes.ts';
import { TEXTFILE_LIMITS, textfileCollector } from '../../../../exporter/collectors/textfile.ts';
import type { RateTracker } from '../../../../exporter/rates.ts';
import { ProcfsSource } from '../../../../exporter/sources/procfs.ts';
import { FakeSource } from '../fake-source.ts';

const FIXTURE = fileURLToPath(new URL('../../../fixtures/proc/', import.meta.url));

function state(config: Partial<CollectorConfig>): CollectorState {
  return { config: { interfaces: 'auto', now: () => 0, ...config }, previous: undefined };
}

describe('named-processes', () => {
  test('one proc_count@<name> per --process name, in the order given, 0 for a name that does not run', async () => {
    const source = new FakeSource();
    const samples = await namedProcessesCollector.collect(
      source,
      state({ processes: ['sshd', 'rts2-centrald', 'systemd'] }),
    );
    expect(samples).toEqual([
      { key: 'proc_count', qualifier: 'sshd', value: 2 },
      { key: 'proc_count', qualifier: 'rts2-centrald', value: 0 },
      { key: 'proc_count', qualifier: 'systemd', value: 1 },
    ]);
  });

  test('quiet without --process: the standard report stays as it is', async () => {
    const source = new FakeSource();
    source.readings.processNames = new Error('must not be read');
    expect(await namedProcessesCollector.collect(source, state({}))).toEqual([]);
    expect(await namedProcessesCollector.collect(source, state({ processes: [] }))).toEqual([]);
  });

  test('on the procfs fixture: comm for short names, argv[0] for names the kernel cut', async () => {
    const source = new ProcfsSource({ procRoot: `${FIXTURE}proc`, mounts: 'auto' });
    const names = ['rts2-centrald', 'rts2-camd-andor-ikon', 'rts2-camd-andor', 'kthreadd', 'init', 'rts2-teld'];
    expect(await namedProcessesCollector.collect(source, state({ processes: names }))).toEqual([
      { key: 'proc_count', qualifier: 'rts2-centrald', value: 1 },
      // 4242 and 31337 both have the comm "rts2-camd-andor"; only 4242's argv[0] is ...-ikon.
      { key: 'proc_count', qualifier: 'rts2-camd-andor-ikon', value: 1 },
      { key: 'proc_count', qualifier: 'rts2-camd-andor', value: 2 },
      { key: 'proc_count', qualifier: 'kthreadd', value: 1 },
      // argv[0] is /sbin/init but the comm is systemd, and the name is short: the comm decides.
      { key: 'proc_count', qualifier: 'init', value: 0 },
      { key: 'proc_count', qualifier: 'rts2-teld', value: 0 },
    ]);
  });

  test('a process that exits between the listing and the read is not counted, and the rest are', async () => {
    const root = await mkdtemp(join(tmpdir(), 'obsmon-proc-'));
    try {
      await mkdir(join(root, '10'));
      await writeFile(join(root, '10', 'comm'), 'tcsd\n');
      await mkdir(join(root, '11')); // exited: the directory lingers without its files
      const source = new ProcfsSource({ procRoot: root, mounts: 'auto' });
      expect(await source.processCounts(['tcsd'])).toEqual(new Map([['tcsd', 1]]));
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('textfile', () => {
  let dir: string;
  let skipped: Array<[string, string]>;
  const collect = () =>
    textfileCollector.collect(
      new FakeSource(),
      state({ textfile: { dir, skipped: (reason, where) => skipped.push([reason, where]) } }),
    );

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'obsmon-textfile-'));
    skipped = [];
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('merges the *.txt files in name order, and reads them again every cycle', async () => {
    await writeFile(join(dir, 'dome.txt'), 'dome_humidity=45.5\ndome_temp@inside=12.25\n');
    await writeFile(join(dir, 'ccd.txt'), 'ccd_setpoint=-100\n');
    expect(await collect()).toEqual([
      { key: 'ccd_setpoint', value: -100 },
      { key: 'dome_humidity', value: 45.5 },
      { key: 'dome_temp', qualifier: 'inside', value: 12.25 },
    ]);
    await writeFile(join(dir, 'ccd.txt'), 'ccd_setpoint=-110\n');
    expect((await collect())[0]).toEqual({ key: 'ccd_setpoint', value: -110 });
    expect(skipped).toEqual([]);
  });

  test('atomic-rename friendly: temporary and hidden files are not read, the renamed file is', async () => {
    await writeFile(join(dir, 'dome.txt.tmp'), 'dome_humidity=9');
    await writeFile(join(dir, '.dome.txt'), 'dome_humidity=8\n');
    await writeFile(join(dir, 'notes.md'), 'not=read\n');
    expect(await collect()).toEqual([]);
    await rename(join(dir, 'dome.txt.tmp'), join(dir, 'dome.txt'));
    expect(await collect()).toEqual([{ key: 'dome_humidity', value: 9 }]);
    expect(skipped).toEqual([]);
  });

  test('invalid lines are skipped and told with file and line; the valid ones still go out', async () => {
    await writeFile(join(dir, 'a.txt'), 'good=1\ncpu=5\nbad-key=2\nwind=NaN\nnode=3\n');
    expect(await collect()).toEqual([{ key: 'good', value: 1 }]);
    expect(skipped).toEqual([
      ['standard_key', 'a.txt:2'],
      ['bad_key', 'a.txt:3'],
      ['bad_value', 'a.txt:4'],
      ['reserved_key', 'a.txt:5'],
    ]);
  });

  test('a series given twice: the first file (by name) wins, the repeat is skipped', async () => {
    await writeFile(join(dir, 'a.txt'), 'dome_humidity=1\ndome_humidity=2\n');
    await writeFile(join(dir, 'b.txt'), 'dome_humidity=3\ndome_humidity@x=4\n');
    expect(await collect()).toEqual([
      { key: 'dome_humidity', value: 1 },
      { key: 'dome_humidity', qualifier: 'x', value: 4 },
    ]);
    expect(skipped.map(([reason]) => reason)).toEqual(['duplicate_key', 'duplicate_key']);
  });

  test('bounded: a file over the size limit is skipped whole, values past the key limit are left out', async () => {
    await writeFile(join(dir, 'big.txt'), `a=1\n${'#'.repeat(TEXTFILE_LIMITS.fileBytes)}\n`);
    const many = Array.from({ length: TEXTFILE_LIMITS.keys + 5 }, (_, i) => `k${i}=${i}`).join('\n');
    await writeFile(join(dir, 'many.txt'), many);
    const samples = await collect();
    expect(samples).toHaveLength(TEXTFILE_LIMITS.keys);
    expect(samples.at(-1)).toEqual({ key: `k${TEXTFILE_LIMITS.keys - 1}`, value: TEXTFILE_LIMITS.keys - 1 });
    expect(skipped.filter(([r]) => r === 'too_large')).toEqual([['too_large', 'big.txt']]);
    expect(skipped.filter(([r]) => r === 'over_limit')).toHaveLength(5);
  });

  test('bounded: the values together stay within the report byte budget', async () => {
    const line = (i: number) =>
      `k${String(i).padStart(2, '0')}_${'x'.repeat(28)}@${'q'.repeat(64)}=-1.2345678901234567`;
    await writeFile(join(dir, 'wide.txt'), Array.from({ length: 40 }, (_, i) => line(i)).join('\n'));
    const samples = await collect();
    const bytes = samples.map((s) => `${s.key}@${s.qualifier}=${s.value} `).join('').length;
    expect(bytes).toBeLessThanOrEqual(TEXTFILE_LIMITS.reportBytes);
    expect(samples.length + skipped.filter(([r]) => r === 'over_limit').length).toBe(40);
    expect(samples.length).toBeGreaterThan(10);
  });

  test('bounded: files past the file limit are not opened; a directory is unreadable, a dangling link passed over', async () => {
    for (let i = 0; i < TEXTFILE_LIMITS.files + 2; i += 1)
      await writeFile(join(dir, `f${String(i).padStart(3, '0')}.txt`), `k${i}=1\n`);
    await mkdir(join(dir, 'adir.txt'));
    await symlink(join(dir, 'nowhere'), join(dir, 'alink.txt'));
    const samples = await collect();
    // adir.txt and alink.txt sort first and take two of the file slots.
    expect(samples).toHaveLength(TEXTFILE_LIMITS.files - 2);
    expect(skipped.filter(([r]) => r === 'too_many_files')).toHaveLength(4);
    expect(skipped.filter(([r]) => r === 'unreadable').map(([, w]) => w)).toEqual(['adir.txt']);
  });

  test('quiet without --textfile-dir; a directory that went away fails the collector (logged, counted)', async () => {
    expect(await textfileCollector.collect(new FakeSource(), state({}))).toEqual([]);
    await rm(dir, { recursive: true });
    await expect(collect()).rejects.toThrow(/ENOENT/);
  });
});

describe('filesystem-health', () => {
  const GIB = 2 ** 30;
  test('inodes in use and read-only state per mount, the root one unqualified; nothing the source cannot tell', async () => {
    const { filesystemHealthCollector } = await import('../../../../exporter/collectors/filesystem-health.ts');
    const source = new FakeSource();
    source.readings.filesystems = [
      {
        mount: '/',
        root: true,
        sizeBytes: 100 * GIB,
        usedBytes: 40 * GIB,
        availableBytes: 60 * GIB,
        inodesTotal: 1000,
        inodesFree: 250,
        readOnly: false,
      },
      {
        mount: '/data',
        root: false,
        sizeBytes: GIB,
        usedBytes: 0,
        availableBytes: GIB,
        inodesTotal: 4000,
        inodesFree: 4000,
        readOnly: true,
      },
      // btrfs: no fixed inode count; a source that cannot tell read-only
      { mount: '/srv', root: false, sizeBytes: GIB, usedBytes: 0, availableBytes: GIB, inodesTotal: 0, inodesFree: 0 },
    ];
    expect(await filesystemHealthCollector.collect(source, state({}))).toEqual([
      { key: 'inodes', value: 75 },
      { key: 'disk_ro', value: 0 },
      { key: 'inodes', qualifier: '/data', value: 0 },
      { key: 'disk_ro', qualifier: '/data', value: 1 },
    ]);
  });

  test('on procfs: statfs inodes and the ro option of /proc/mounts, one statfs per mount shared with the filesystem collector', async () => {
    const { filesystemHealthCollector } = await import('../../../../exporter/collectors/filesystem-health.ts');
    const { filesystemCollector } = await import('../../../../exporter/collectors/filesystem.ts');
    const root = await mkdtemp(join(tmpdir(), 'obsmon-fsh-'));
    try {
      await mkdir(join(root, 'proc'));
      await mkdir(join(root, 'rootfs', 'data'), { recursive: true });
      await writeFile(
        join(root, 'proc', 'mounts'),
        '/dev/sda2 / ext4 rw,relatime 0 0\n/dev/sdb1 /data ext4 ro,relatime 0 0\n',
      );
      const warnings: string[] = [];
      const source = new ProcfsSource({
        procRoot: join(root, 'proc'),
        rootfs: join(root, 'rootfs'),
        mounts: 'auto',
        warn: (_k, m) => warnings.push(m),
      });
      // As Collection runs them: started in the same turn.
      const [health, usage] = await Promise.all([
        filesystemHealthCollector.collect(source, state({})),
        filesystemCollector.collect(source, state({})),
      ]);
      expect(warnings).toEqual([]);
      expect(usage.map((s) => s.qualifier ?? '/')).toEqual(['/', '/data']);
      expect(health.filter((s) => s.key === 'disk_ro')).toEqual([
        { key: 'disk_ro', value: 0 },
        { key: 'disk_ro', qualifier: '/data', value: 1 },
      ]);
      // The temp directory's filesystem (ext4, tmpfs, overlay) has inodes; btrfs would leave them out.
      for (const s of health.filter((s) => s.key === 'inodes')) expect(s.value).toBeGreaterThanOrEqual(0);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('network-errors', () => {
  const counters = (eth0: number, eth1: number) => [
    {
      name: 'lo',
      kind: 'loopback' as const,
      rxBytes: 0,
      txBytes: 0,
      errors: { rxErrors: 999, rxDrops: 999, txErrors: 999, txDrops: 999 },
    },
    {
      name: 'eth0',
      kind: 'physical' as const,
      rxBytes: 0,
      txBytes: 0,
      errors: { rxErrors: eth0, rxDrops: 2 * eth0, txErrors: 0, txDrops: 0 },
    },
    {
      name: 'eth1',
      kind: 'physical' as const,
      rxBytes: 0,
      txBytes: 0,
      errors: { rxErrors: eth1, rxDrops: 0, txErrors: eth1, txDrops: 0 },
    },
  ];

  test('per-second rates summed over the physical interfaces; nothing on the first cycle', async () => {
    const { networkErrorsCollector } = await import('../../../../exporter/collectors/network-errors.ts');
    const source = new FakeSource();
    let now = 0;
    const s: CollectorState<RateTracker> = { config: { interfaces: 'auto', now: () => now }, previous: undefined };
    source.readings.network = counters(100, 10);
    expect(await networkErrorsCollector.collect(source, s)).toEqual([]);
    now = 10_000;
    source.readings.network = counters(150, 30);
    expect(await networkErrorsCollector.collect(source, s)).toEqual([
      { key: 'rx_errors', value: 7 },
      { key: 'rx_drops', value: 10 },
      { key: 'tx_errors', value: 2 },
      { key: 'tx_drops', value: 0 },
    ]);
  });

  test('with --interfaces also per interface; a source without error counters gives nothing', async () => {
    const { networkErrorsCollector } = await import('../../../../exporter/collectors/network-errors.ts');
    const source = new FakeSource();
    let now = 0;
    const s: CollectorState<RateTracker> = { config: { interfaces: ['eth0'], now: () => now }, previous: undefined };
    source.readings.network = counters(0, 0);
    await networkErrorsCollector.collect(source, s);
    now = 1000;
    source.readings.network = counters(5, 9);
    expect(await networkErrorsCollector.collect(source, s)).toEqual([
      { key: 'rx_errors', value: 5 },
      { key: 'rx_drops', value: 10 },
      { key: 'tx_errors', value: 0 },
      { key: 'tx_drops', value: 0 },
      { key: 'rx_errors', qualifier: 'eth0', value: 5 },
      { key: 'rx_drops', qualifier: 'eth0', value: 10 },
      { key: 'tx_errors', qualifier: 'eth0', value: 0 },
      { key: 'tx_drops', qualifier: 'eth0', value: 0 },
    ]);
    const bare = new FakeSource(); // its interfaces carry no error counters
    const t: CollectorState<RateTracker> = { config: { interfaces: 'auto', now: () => now }, previous: undefined };
    await networkErrorsCollector.collect(bare, t);
    now = 2000;
    expect(await networkErrorsCollector.collect(bare, t)).toEqual([]);
  });
});
