import { mkdir, mkdtemp, rm, statfs, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test, vi } from 'vitest';
import { ProcfsSource } from '../../../../exporter/sources/procfs.ts';

// The thread-pool statfs, passed through and counted: which mounts go through the pool is behaviour.
vi.mock('node:fs/promises', async (original) => {
  const actual = await original<typeof import('node:fs/promises')>();
  return { ...actual, statfs: vi.fn(actual.statfs) };
});

const FIXTURE = fileURLToPath(new URL('../../../fixtures/proc/', import.meta.url));
const MIB = 1024 * 1024;
const NO_ERRORS = { rxErrors: 0, rxDrops: 0, txErrors: 0, txDrops: 0 };

function fixtureSource(mounts: 'auto' | string[] = 'auto') {
  const warnings: string[] = [];
  const source = new ProcfsSource({
    procRoot: `${FIXTURE}proc`,
    sysRoot: `${FIXTURE}sys`,
    rootfs: `${FIXTURE}rootfs`,
    mounts,
    warn: (_key, message) => warnings.push(message),
  });
  return { source, warnings };
}

describe('ProcfsSource on the fixture tree', () => {
  test('reads cpu counters, memory, load, uptime', async () => {
    const { source } = fixtureSource();
    expect(await source.cpuTimes()).toEqual({
      busy: 40000 + 100 + 10000 + 500 + 2400,
      total: 52999 + 145000 + 2000 + 1,
      iowait: 2000,
      steal: 2400,
    });
    expect(await source.cpuCoreTimes()).toEqual(
      new Map([
        ['0', { busy: 26500, total: 100000, iowait: 1000, steal: 1200 }],
        ['1', { busy: 26500, total: 100000, iowait: 1000, steal: 1200 }],
      ]),
    );
    expect(await source.memory()).toEqual({
      totalBytes: 8_000_000 * 1024,
      availableBytes: 2_000_000 * 1024,
      swapTotalBytes: 2_000_000 * 1024,
      swapFreeBytes: 1_500_000 * 1024,
    });
    expect(await source.loadAverages()).toEqual({ load1: 1.25, load5: 0.8, load15: 0.5 });
    expect(await source.uptimeSeconds()).toBe(123456.78);
  });

  test('counts the numeric entries of /proc as processes', async () => {
    expect(await fixtureSource().source.processCount()).toBe(5);
  });

  test('classifies interfaces with /sys/devices/virtual/net', async () => {
    expect(await fixtureSource().source.networkCounters()).toEqual([
      { name: 'lo', kind: 'loopback', rxBytes: 500000, txBytes: 500000, errors: NO_ERRORS },
      { name: 'eth0', kind: 'physical', rxBytes: 9000000, txBytes: 3000000, errors: NO_ERRORS },
      { name: 'docker0', kind: 'virtual', rxBytes: 700000, txBytes: 800000, errors: NO_ERRORS },
    ]);
  });

  test('reads thermal zones and hwmon inputs with their names', async () => {
    const readings = await fixtureSource().source.temperatures();
    expect(readings.sort((a, b) => a.sensor.localeCompare(b.sensor))).toEqual([
      { sensor: 'acpitz', celsius: 27.8 },
      { sensor: 'coretemp_Package id 0', celsius: 61.5 },
      { sensor: 'coretemp_temp2', celsius: 58 },
      { sensor: 'x86_pkg_temp', celsius: 52 },
    ]);
  });

  test('measures the local disk filesystems of /proc/mounts and warns about the ones it cannot', async () => {
    const { source, warnings } = fixtureSource();
    const readings = await source.filesystems();
    // The fixture lists / /boot/efi /data and "/mnt/usb disk"; only / and /data exist under its rootfs.
    expect(readings.map((r) => [r.mount, r.root])).toEqual([
      ['/', true],
      ['/data', false],
    ]);
    for (const r of readings) {
      expect(r.sizeBytes).toBeGreaterThan(MIB);
      expect(r.usedBytes + r.availableBytes).toBeLessThanOrEqual(r.sizeBytes);
    }
    expect(warnings.join('\n')).toMatch(/"\/boot\/efi"/);
    expect(warnings.join('\n')).toMatch(/"\/mnt\/usb disk"/);
  });

  test('measures exactly the configured mounts, network filesystems included', async () => {
    const { source } = fixtureSource(['/data']);
    expect((await source.filesystems()).map((r) => r.mount)).toEqual(['/data']);
  });

  test('measures in-kernel disk filesystems in place and any other type through the thread pool', async () => {
    // /data is xfs in the fixture's mount table, /mnt/nas nfs4 (its statfs could hang), /opt not mounted.
    const { source, warnings } = fixtureSource(['/data', '/mnt/nas', '/opt']);
    vi.mocked(statfs).mockClear();
    expect((await source.filesystems()).map((r) => r.mount)).toEqual(['/data']);
    const pooled = vi.mocked(statfs).mock.calls.map(([path]) => String(path));
    expect(pooled).toEqual([join(`${FIXTURE}rootfs`, '/mnt/nas'), join(`${FIXTURE}rootfs`, '/opt')]);
    expect(warnings.join('\n')).toMatch(/"\/mnt\/nas"/);
  });

  test('rejects naming the file when it has an unexpected format or is missing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'obsmon-proc-'));
    try {
      await writeFile(join(dir, 'stat'), 'intr 1 2 3\n');
      const source = new ProcfsSource({ procRoot: dir, sysRoot: dir, mounts: 'auto' });
      await expect(source.cpuTimes()).rejects.toThrow('Unexpected format of /proc/stat');
      await expect(source.memory()).rejects.toThrow(/meminfo/);
      expect(await source.temperatures()).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('ProcfsSource clock synchronisation', () => {
  test("clock_sync_age is the age of timesyncd's synchronized file; unknown without it (chronyd, ntpd, never synced)", async () => {
    const run = await mkdtemp(join(tmpdir(), 'obsmon-run-'));
    try {
      const source = new ProcfsSource({ runRoot: run, wallClock: () => 1_763_884_800_000, mounts: 'auto' });
      expect(await source.clockSyncAge()).toBeUndefined();
      await mkdir(join(run, 'systemd/timesync'), { recursive: true });
      await writeFile(join(run, 'systemd/timesync/synchronized'), '');
      await utimes(join(run, 'systemd/timesync/synchronized'), 1_763_884_000, 1_763_884_000);
      expect(await source.clockSyncAge()).toBe(800);
    } finally {
      await rm(run, { recursive: true, force: true });
    }
  });
});

describe.runIf(process.platform === 'linux')('ProcfsSource on this machine', () => {
  test('gives plausible readings', async () => {
    const source = new ProcfsSource({ mounts: 'auto' });
    const cpu = await source.cpuTimes();
    expect(cpu.busy).toBeGreaterThan(0);
    expect(cpu.total).toBeGreaterThan(cpu.busy);
    const mem = await source.memory();
    expect(mem.availableBytes).toBeGreaterThan(0);
    expect(mem.availableBytes).toBeLessThanOrEqual(mem.totalBytes);
    expect(await source.processCount()).toBeGreaterThan(0);
    expect((await source.loadAverages()).load1).toBeGreaterThanOrEqual(0);
    expect(await source.uptimeSeconds()).toBeGreaterThan(0);
    const filesystems = await source.filesystems();
    expect(filesystems.filter((f) => f.root)).toHaveLength(1);
    expect((await source.networkCounters()).some((n) => n.kind === 'loopback')).toBe(true);
    await source.temperatures();
  });
});
