import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { ProcFile } from '../../../../exporter/sources/proc-file.ts';
import { ProcfsSource } from '../../../../exporter/sources/procfs.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'obsmon-procfile-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const NET_DEV_HEADER = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
`;
const netDevLine = (name: string, rx: number) => `${name}: ${rx} 1 0 0 0 0 0 0 ${rx} 1 0 0 0 0 0 0\n`;

describe('ProcFile', () => {
  test('every read sees the current text through the kept descriptor', async () => {
    const path = join(dir, 'loadavg');
    await writeFile(path, '0.10 0.20 0.30 1/80 4963\n');
    const file = new ProcFile(path);
    expect(file.read()).toBe('0.10 0.20 0.30 1/80 4963\n');
    await writeFile(path, '1.5 0.2 0.3 1/80 4964\n');
    expect(file.read()).toBe('1.5 0.2 0.3 1/80 4964\n');
    file.close();
  });

  test('a file larger than the buffer is read whole, and text is UTF-8', async () => {
    const path = join(dir, 'mounts');
    const line = '/dev/sdb1 /mnt/données ext4 rw 0 0\n';
    const text = line.repeat(Math.ceil((40 * 1024) / line.length));
    await writeFile(path, text);
    const file = new ProcFile(path);
    expect(file.read()).toBe(text);
    expect(file.read()).toBe(text);
    file.close();
  });

  test('a file that cannot be read fails naming it, and is opened again once it is back', async () => {
    const path = join(dir, 'meminfo');
    const file = new ProcFile(path);
    expect(() => file.read()).toThrow(/meminfo/);
    await writeFile(path, 'MemTotal: 1000 kB\n');
    expect(file.read()).toBe('MemTotal: 1000 kB\n');
    file.close();
  });
});

describe('ProcfsSource with kept descriptors', () => {
  test('an interface that appears is classified by /sys/devices/virtual/net at that cycle', async () => {
    const proc = join(dir, 'proc');
    const sys = join(dir, 'sys');
    await mkdir(join(proc, 'net'), { recursive: true });
    await mkdir(join(sys, 'devices/virtual/net/lo'), { recursive: true });
    await writeFile(join(proc, 'net/dev'), `${NET_DEV_HEADER}${netDevLine('lo', 10)}${netDevLine('eth0', 20)}`);
    const source = new ProcfsSource({ procRoot: proc, sysRoot: sys, mounts: 'auto' });
    expect((await source.networkCounters()).map((c) => [c.name, c.kind, c.rxBytes])).toEqual([
      ['lo', 'loopback', 10],
      ['eth0', 'physical', 20],
    ]);
    // A veth pair is created: it is in net/dev and in the virtual directory from then on.
    await mkdir(join(sys, 'devices/virtual/net/veth1'));
    await writeFile(
      join(proc, 'net/dev'),
      `${NET_DEV_HEADER}${netDevLine('lo', 11)}${netDevLine('eth0', 21)}${netDevLine('veth1', 5)}`,
    );
    expect((await source.networkCounters()).map((c) => [c.name, c.kind, c.rxBytes])).toEqual([
      ['lo', 'loopback', 11],
      ['eth0', 'physical', 21],
      ['veth1', 'virtual', 5],
    ]);
    await source.close();
  });

  test('a filesystem remounted read-only shows at the next cycle', async () => {
    const proc = join(dir, 'proc');
    const rootfs = join(dir, 'rootfs');
    await mkdir(proc, { recursive: true });
    await mkdir(join(rootfs, 'data'), { recursive: true });
    const mounts = (options: string) => `/dev/sda2 / ext4 rw 0 0\n/dev/sdb1 /data ext4 ${options} 0 0\n`;
    await writeFile(join(proc, 'mounts'), mounts('rw,relatime'));
    const source = new ProcfsSource({ procRoot: proc, rootfs, mounts: 'auto' });
    const readOnly = async () => (await source.filesystems()).map((f) => [f.mount, f.readOnly]);
    expect(await readOnly()).toEqual([
      ['/', false],
      ['/data', false],
    ]);
    await writeFile(join(proc, 'mounts'), mounts('ro,relatime'));
    // filesystems() is shared within one event-loop turn; the next cycle is a later turn.
    await new Promise((resolve) => setImmediate(resolve));
    expect(await readOnly()).toEqual([
      ['/', false],
      ['/data', true],
    ]);
    await source.close();
  });
});
