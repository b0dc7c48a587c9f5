/** Cumulative CPU time of all cores since boot, in the source's own unit (ticks or ms). */
export interface CpuTimes {
  /** Time spent doing work: user, nice, system, irq, softirq, steal. */
  readonly busy: number;
  /** busy + idle + iowait. */
  readonly total: number;
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

/**
 * Raw readings of the machine, with no arithmetic beyond unit conversion: collectors turn them into
 * samples. One implementation per OS family (procfs.ts, si.ts); tests implement it in a few lines.
 * A method rejects when the reading is impossible; the caller logs it and reports the rest.
 */
export interface SystemSource {
  readonly name: string;
  cpuTimes(): Promise<CpuTimes>;
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
  /** Release what the source holds (Windows PowerShell). */
  close(): Promise<void>;
}

/** What the source reads: `auto` or an explicit list of mount points. */
export type MountSelection = 'auto' | readonly string[];
