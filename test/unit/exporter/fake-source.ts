import type {
  CpuTimes,
  FilesystemReading,
  InterfaceCounters,
  LoadAverages,
  MemoryReading,
  SystemSource,
  TemperatureReading,
} from '../../../exporter/sources/system-source.ts';

/** Readings a test sets directly; a method whose value is an Error rejects with it. */
export interface FakeReadings {
  cpu: CpuTimes | Error;
  /** Per core, by core number. */
  cores: Map<string, CpuTimes> | Error;
  memory: MemoryReading | Error;
  filesystems: FilesystemReading[] | Error;
  network: InterfaceCounters[] | Error;
  load: LoadAverages | undefined | Error;
  procs: number | Error;
  /** Running processes by name, for processCounts. */
  processNames: string[] | Error;
  temperatures: TemperatureReading[] | Error;
  uptime: number | Error;
  clockSyncAge: number | undefined | Error;
}

const GIB = 2 ** 30;

export function defaultReadings(): FakeReadings {
  return {
    cpu: { busy: 1000, total: 10_000 },
    cores: new Map([
      ['0', { busy: 500, total: 5000 }],
      ['1', { busy: 500, total: 5000 }],
    ]),
    memory: { totalBytes: 8 * GIB, availableBytes: 6 * GIB, swapTotalBytes: 0, swapFreeBytes: 0 },
    filesystems: [{ mount: '/', root: true, sizeBytes: 100 * GIB, usedBytes: 40 * GIB, availableBytes: 60 * GIB }],
    network: [
      { name: 'lo', kind: 'loopback', rxBytes: 0, txBytes: 0 },
      { name: 'eth0', kind: 'physical', rxBytes: 0, txBytes: 0 },
    ],
    load: { load1: 0.5, load5: 0.4, load15: 0.3 },
    procs: 123,
    processNames: ['systemd', 'sshd', 'sshd'],
    temperatures: [],
    uptime: 1000,
    clockSyncAge: undefined,
  };
}

/** A SystemSource over plain values: tests change `readings` between cycles. */
export class FakeSource implements SystemSource {
  readonly name = 'fake';
  readings: FakeReadings = defaultReadings();
  closed = false;

  private value<T>(v: T | Error): Promise<T> {
    return v instanceof Error ? Promise.reject(v) : Promise.resolve(v);
  }

  cpuTimes() {
    return this.value(this.readings.cpu);
  }
  cpuCoreTimes() {
    return this.value(this.readings.cores);
  }
  clockSyncAge() {
    return this.value(this.readings.clockSyncAge);
  }
  memory() {
    return this.value(this.readings.memory);
  }
  filesystems() {
    return this.value(this.readings.filesystems);
  }
  networkCounters() {
    return this.value(this.readings.network);
  }
  loadAverages() {
    return this.value(this.readings.load);
  }
  processCount() {
    return this.value(this.readings.procs);
  }
  async processCounts(names: readonly string[]) {
    const running = await this.value(this.readings.processNames);
    return new Map(names.map((n) => [n, running.filter((r) => r === n).length]));
  }
  temperatures() {
    return this.value(this.readings.temperatures);
  }
  uptimeSeconds() {
    return this.value(this.readings.uptime);
  }
  async close() {
    this.closed = true;
  }
}
