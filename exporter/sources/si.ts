import { cpus, loadavg, networkInterfaces, uptime, type CpuInfo } from 'node:os';
import * as si from 'systeminformation';
import { localDiskFilesystems } from './local-filesystems.ts';
import type {
  CpuTimes,
  FilesystemReading,
  InterfaceCounters,
  MemoryReading,
  MountSelection,
  SystemSource,
  TemperatureReading,
} from './system-source.ts';

export interface SiConfig {
  readonly mounts: MountSelection;
}

// macOS shows the hidden APFS volumes of the system container; `/` stands for them.
const HIDDEN_MOUNT = /^\/(System\/Volumes|private\/var\/vm|dev)(\/|$)/;

function coreTimes({ times }: CpuInfo): CpuTimes {
  const busy = times.user + times.nice + times.sys + times.irq;
  return { busy, total: busy + times.idle };
}

/**
 * Windows and macOS, through systeminformation where Node has no equivalent. On Windows it keeps
 * one PowerShell open (`powerShellStart`) instead of starting one per call. CPU, load and uptime
 * come from node:os, which costs nothing on every platform.
 */
export class SiSource implements SystemSource {
  readonly name = 'systeminformation';
  private readonly windows = process.platform === 'win32';

  constructor(private readonly config: SiConfig) {
    if (this.windows) si.powerShellStart();
  }

  async cpuTimes(): Promise<CpuTimes> {
    let busy = 0;
    let total = 0;
    for (const core of cpus().map(coreTimes)) {
      busy += core.busy;
      total += core.total;
    }
    return { busy, total };
  }

  // node:os has no iowait or steal on any platform (Windows and macOS have no such counters either).
  async cpuCoreTimes(): Promise<ReadonlyMap<string, CpuTimes>> {
    return new Map(cpus().map((cpu, core) => [String(core), coreTimes(cpu)]));
  }

  async memory(): Promise<MemoryReading> {
    const m = await si.mem();
    return { totalBytes: m.total, availableBytes: m.available, swapTotalBytes: m.swaptotal, swapFreeBytes: m.swapfree };
  }

  async filesystems(): Promise<FilesystemReading[]> {
    const all = await si.fsSize();
    const systemDrive = (process.env['SystemDrive'] ?? 'C:').toUpperCase();
    const wanted =
      this.config.mounts === 'auto'
        ? new Set(
            localDiskFilesystems(all.map((f) => ({ device: f.fs, mountPoint: f.mount, fsType: f.type.toLowerCase() })))
              .map((m) => m.mountPoint)
              .filter((m) => !HIDDEN_MOUNT.test(m)),
          )
        : new Set(this.config.mounts);
    return all
      .filter((f) => wanted.has(f.mount) && f.size > 0)
      .map((f) => ({
        mount: f.mount,
        root: f.mount === '/' || (this.windows && f.mount.toUpperCase() === systemDrive),
        sizeBytes: f.size,
        usedBytes: f.used,
        availableBytes: f.available,
        ...(typeof f.rw === 'boolean' && { readOnly: !f.rw }),
      }));
  }

  async networkCounters(): Promise<InterfaceCounters[]> {
    const internal = new Set(
      Object.entries(networkInterfaces())
        .filter(([, addresses]) => addresses?.some((a) => a.internal))
        .map(([name]) => name),
    );
    const stats = await si.networkStats('*');
    return stats.map((s) => ({
      name: s.iface,
      kind: internal.has(s.iface) || /^lo\d*$|loopback/i.test(s.iface) ? 'loopback' : 'physical',
      rxBytes: s.rx_bytes,
      txBytes: s.tx_bytes,
      errors: { rxErrors: s.rx_errors, rxDrops: s.rx_dropped, txErrors: s.tx_errors, txDrops: s.tx_dropped },
    }));
  }

  async loadAverages() {
    if (this.windows) return undefined;
    const [load1 = 0, load5 = 0, load15 = 0] = loadavg();
    return { load1, load5, load15 };
  }

  async processCount(): Promise<number> {
    return (await si.processes()).all;
  }

  async processCounts(names: readonly string[]): Promise<Map<string, number>> {
    const counts = new Map(names.map((n) => [n, 0]));
    if (names.length === 0) return counts;
    const list = (await si.processes()).list;
    // Windows names carry `.exe` and compare without case; `--process tcs` finds `TCS.exe`.
    const fold = (s: string) => (this.windows ? s.toLowerCase().replace(/\.exe$/, '') : s);
    const wanted = new Map(names.map((n) => [fold(n), n]));
    for (const p of list) {
      const argv0 = p.command.split(/[\\/]/).pop() ?? '';
      const name = wanted.get(fold(p.name)) ?? wanted.get(fold(argv0));
      if (name !== undefined) counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    return counts;
  }

  async temperatures(): Promise<TemperatureReading[]> {
    const t = await si.cpuTemperature();
    const readings: TemperatureReading[] = [];
    // systeminformation reports an unknown temperature as null (or -1 on some Windows versions).
    if (typeof t.main === 'number' && t.main > 0) readings.push({ sensor: 'cpu', celsius: t.main });
    if (typeof t.chipset === 'number' && t.chipset > 0) readings.push({ sensor: 'chipset', celsius: t.chipset });
    return readings;
  }

  async uptimeSeconds(): Promise<number> {
    return uptime();
  }

  // Windows and macOS keep no synchronisation state a file read can see (w32tm and sntp are processes).
  async clockSyncAge(): Promise<number | undefined> {
    return undefined;
  }

  async close(): Promise<void> {
    if (this.windows) si.powerShellRelease();
  }
}
