/** Cumulative CPU time of all cores since boot, in the source's own unit (ticks or ms). */
export interface CpuTimes {
  /** Time spent doing work: user, nice, system, irq, softirq, steal. */
  readonly busy: number;
  /** busy + idle + iowait. */
  readonly total: number;
  /** Idle while a disk request was outstanding, and time a hypervisor gave to others; where the source has them (Linux). */
  readonly iowait?: number;
  readonly steal?: number;
}

export interface MemoryReading {
  readonly totalBytes: number;
  /** What new programs can get without swapping (Linux MemAvailable). */
  readonly availableBytes: number;
  readonly swapTotalBytes: number;
  readonly swapFreeBytes: number;
}

export interface FilesystemReading {
  readonly mount: string;
  /** The system filesystem (`/`, or the Windows system drive): reported as unqualified `disk`. */
  readonly root: boolean;
  readonly sizeBytes: number;
  readonly usedBytes: number;
  /** Free to unprivileged users; less than size - used when blocks are reserved for root. */
  readonly availableBytes: number;
  /** Inodes (statfs files/ffree); absent where the source cannot tell, or the filesystem has no fixed count (btrfs: 0). */
  readonly inodesTotal?: number;
  readonly inodesFree?: number;
  /** Mounted read-only now; absent where the source cannot tell. */
  readonly readOnly?: boolean;
}

/** `physical` hardware, `virtual` (bridges, veth, VLANs, tunnels) or the `loopback`. */
export type InterfaceKind = 'physical' | 'virtual' | 'loopback';

export interface InterfaceCounters {
  readonly name: string;
  readonly kind: InterfaceKind;
  /** Cumulative byte counters; they may wrap or reset (see rates.ts). */
  readonly rxBytes: number;
  readonly txBytes: number;
  /** Cumulative error and drop counters (packets), where the source has them. */
  readonly errors?: {
    readonly rxErrors: number;
    readonly rxDrops: number;
    readonly txErrors: number;
    readonly txDrops: number;
  };
}

export interface LoadAverages {
  readonly load1: number;
  readonly load5: number;
  readonly load15: number;
}

export interface TemperatureReading {
  readonly sensor: string;
  readonly celsius: number;
}

/** One NVIDIA GPU (parsers/nvidia-smi.ts); a field nvidia-smi shows as `[N/A]` is absent. */
export interface GpuReading {
  /** nvidia-smi's index (`0`, `1`, ...). */
  readonly gpu: string;
  readonly utilizationPercent?: number;
  readonly memoryUsedPercent?: number;
  readonly celsius?: number;
}

/** The newest GPU readings, kept by a long-lived reader (sources/nvidia-smi.ts); stale ones are left out. */
export interface GpuSource {
  gpus(): readonly GpuReading[];
}

/**
 * Raw readings of the machine, with no arithmetic beyond unit conversion: collectors turn them into
 * samples. One implementation per OS family (procfs.ts, si.ts); tests implement it in a few lines.
 * A method rejects when the reading is impossible; the caller logs it and reports the rest.
 */
export interface SystemSource {
  readonly name: string;
  cpuTimes(): Promise<CpuTimes>;
  /** The same per core, keyed by core number (`"0"`, `"1"`, ...); an offline core is absent. */
  cpuCoreTimes(): Promise<ReadonlyMap<string, CpuTimes>>;
  memory(): Promise<MemoryReading>;
  /** The configured mounts, or every local disk filesystem when mounts are `auto`. */
  filesystems(): Promise<FilesystemReading[]>;
  networkCounters(): Promise<InterfaceCounters[]>;
  /** `undefined` where the OS has no load average (Windows). */
  loadAverages(): Promise<LoadAverages | undefined>;
  processCount(): Promise<number>;
  /** How many processes run under each of `names` (0 for a name none has); see parsers/proc-pid.ts. */
  processCounts(names: readonly string[]): Promise<Map<string, number>>;
  temperatures(): Promise<TemperatureReading[]>;
  uptimeSeconds(): Promise<number>;
  /**
   * Seconds since the clock was last synchronised over NTP, where the OS tells it without a process
   * (systemd-timesyncd's `/run/systemd/timesync/synchronized`); `undefined` where it cannot be told.
   */
  clockSyncAge(): Promise<number | undefined>;
  /** Release what the source holds (Windows PowerShell). */
  close(): Promise<void>;
}

/** What the source reads: `auto` or an explicit list of mount points. */
export type MountSelection = 'auto' | readonly string[];
