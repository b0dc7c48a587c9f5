import { describe, expect, test } from 'vitest';
import { createSource } from '../../../../exporter/sources/select-source.ts';
import { SiSource } from '../../../../exporter/sources/si.ts';

describe('createSource', () => {
  test.each([
    { kind: 'auto', platform: 'linux', expect: 'procfs' },
    { kind: 'auto', platform: 'win32', expect: 'systeminformation' },
    { kind: 'auto', platform: 'darwin', expect: 'systeminformation' },
    { kind: 'systeminformation', platform: 'linux', expect: 'systeminformation' },
    { kind: 'procfs', platform: 'linux', expect: 'procfs' },
  ] as const)('$kind on $platform is $expect', async ({ kind, platform, expect: name }) => {
    const source = await createSource({ kind, mounts: 'auto' }, platform);
    expect(source.name).toBe(name);
    await source.close();
  });
});

// The fallback for Windows and macOS also runs on Linux, which checks its mapping of systeminformation's results.
describe('SiSource on this machine', () => {
  test('gives plausible readings', async () => {
    const source = new SiSource({ mounts: 'auto' });
    try {
      const cpu = await source.cpuTimes();
      expect(cpu.total).toBeGreaterThan(cpu.busy);
      const mem = await source.memory();
      expect(mem.availableBytes).toBeGreaterThan(0);
      expect(mem.availableBytes).toBeLessThanOrEqual(mem.totalBytes);
      const filesystems = await source.filesystems();
      expect(filesystems.filter((f) => f.root)).toHaveLength(1);
      for (const f of filesystems) expect(f.usedBytes + f.availableBytes).toBeGreaterThan(0);
      expect((await source.networkCounters()).some((n) => n.kind === 'loopback')).toBe(true);
      expect(await source.processCount()).toBeGreaterThan(0);
      expect(await source.uptimeSeconds()).toBeGreaterThan(0);
      if (process.platform !== 'win32') expect(await source.loadAverages()).toBeDefined();
      expect(Array.isArray(await source.temperatures())).toBe(true);
    } finally {
      await source.close();
    }
  });

  test('reports exactly the configured mounts', async () => {
    const source = new SiSource({ mounts: ['/'] });
    expect((await source.filesystems()).map((f) => f.mount)).toEqual(['/']);
    await source.close();
  });
});
