import { readdirSync, readFileSync, statfsSync, statSync, type StatsFs } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { localDiskFilesystems, statfsAnswersFromMemory } from './local-filesystems.ts';
import { ProcFile } from './proc-file.ts';
import { parseLoadavg } from './parsers/loadavg.ts';
import { parseMeminfo } from './parsers/meminfo.ts';
import { parseMounts, readOnlyMountPoints } from './parsers/mounts.ts';
import { parseNetDevCounters } from './parsers/net-dev.ts';
import { parseArgv0Basename, parseComm, processMatches } from './parsers/proc-pid.ts';
import { parseProcStat, parseProcStatCores } from './parsers/proc-stat.ts';
import { parseUptime } from './parsers/uptime.ts';
import { discoverSensors, readSensors, type SensorFile } from './sysfs-sensors.ts';
import type { FilesystemReading, InterfaceCounters, MountSelection, SystemSource } from './system-source.ts';

export interface ProcfsConfig {
  /** Default `/proc`. */
  readonly procRoot?: string;
  /** Default `/sys`. */
  readonly sysRoot?: string;
  /** Default `/run` (systemd-timesyncd's state). */
  readonly runRoot?: string;
  /** Wall clock in ms, for the age of the last clock synchronisation; default Date.now. */
  readonly wallClock?: () => number;
  /** Prefix for statfs of mount points, e.g. `/host` in a container; default `/`. */
  readonly rootfs?: string;
  readonly mounts: MountSelection;
  /** Rate-limited warning sink for a mount that cannot be measured; the other mounts go on. */
  readonly warn?: (key: string, message: string) => void;
}

const PID = /^\d+$/;
const DIGIT_0 = 48;
const DIGIT_9 = 57;

/** Whether a /proc entry is a process directory: PID entries are digits only, the others start with a letter. */
function isPidEntry(name: string): boolean {
  const first = name.charCodeAt(0);
  return first >= DIGIT_0 && first <= DIGIT_9 && PID.test(name);
}

/** The mounts to measure and the read-only ones, from one text of /proc/mounts. */
interface MountTable {
  readonly text: string;
  readonly mounts: readonly string[];
  readonly readOnly: ReadonlySet<string> | undefined;
  /** Mounts measured with a synchronous statfs (statfsAnswersFromMemory); the others go through the pool. */
  readonly inMemory: ReadonlySet<string>;
}

/** A filesystem's usage from its statfs; none for a filesystem without blocks (nothing to report). */
function reading(mount: string, s: StatsFs, readOnly: boolean | undefined): FilesystemReading | undefined {
  if (s.blocks === 0) return undefined;
  return {
    mount,
    root: mount === '/',
    sizeBytes: s.blocks * s.bsize,
    usedBytes: (s.blocks - s.bfree) * s.bsize,
    availableBytes: s.bavail * s.bsize,
    ...(s.files > 0 && { inodesTotal: s.files, inodesFree: s.ffree }),
    ...(readOnly !== undefined && { readOnly }),
  };
}

const present = (readings: ReadonlyArray<FilesystemReading | undefined>): FilesystemReading[] =>
  readings.filter((r): r is FilesystemReading => r !== undefined);

function parsed<T>(value: T | undefined, file: string): T {
  if (value === undefined) throw new Error(`Unexpected format of ${file}`);
  return value;
}

/**
 * Linux: plain reads of /proc and /sys plus statfs, and never a child process (systeminformation,
 * measured on a Debian 12 VM, costs about 245 ms and ~100 child processes per cycle). The files read
 * every cycle keep their descriptors (proc-file.ts); exporter/README.md, "What a cycle costs".
 */
export class ProcfsSource implements SystemSource {
  readonly name = 'procfs';
  private readonly procRoot: string;
  private readonly sysRoot: string;
  private readonly rootfs: string;
  private readonly runRoot: string;
  // A statfs on a hung network mount never returns; measuring it again would block one more libuv thread each cycle.
  private readonly statfsPending = new Set<string>();
  private sensors: Promise<SensorFile[]> | undefined;
  private sharedFilesystems: Promise<FilesystemReading[]> | undefined;
  // The files read every cycle, each through a kept descriptor (proc-file.ts).
  private readonly kept = new Map<string, ProcFile>();
  // /sys/devices/virtual/net, listed again only when the interfaces of /proc/net/dev change.
  private virtualInterfaces: { readonly names: string; readonly virtual: ReadonlySet<string> } | undefined;
  private lastMountTable: MountTable | undefined;

  constructor(private readonly config: ProcfsConfig) {
    this.procRoot = config.procRoot ?? '/proc';
    this.sysRoot = config.sysRoot ?? '/sys';
    this.rootfs = config.rootfs ?? '/';
    this.runRoot = config.runRoot ?? '/run';
  }

  // Synchronous on purpose: /proc text is generated in memory and never waits for a disk, and
  // fs/promises costs ~0.3 ms of CPU per file in thread-pool round trips versus ~0.03 ms here.
  // statfs of a network, FUSE or unknown filesystem and hwmon sensors (slow I2C chips) stay asynchronous.
  private proc(file: string): string {
    return readFileSync(join(this.procRoot, file), 'utf8');
  }

  /** A file of /proc read every cycle (not a process's own, which comes and goes). */
  private cycleFile(file: string): string {
    let kept = this.kept.get(file);
    if (kept === undefined) {
      kept = new ProcFile(join(this.procRoot, file));
      this.kept.set(file, kept);
    }
    return kept.read();
  }

  async cpuTimes() {
    return parsed(parseProcStat(this.cycleFile('stat')), '/proc/stat');
  }

  async cpuCoreTimes() {
    return parseProcStatCores(this.cycleFile('stat'));
  }

  async memory() {
    return parsed(parseMeminfo(this.cycleFile('meminfo')), '/proc/meminfo');
  }

  async loadAverages() {
    return parsed(parseLoadavg(this.cycleFile('loadavg')), '/proc/loadavg');
  }

  async uptimeSeconds() {
    return parsed(parseUptime(this.cycleFile('uptime')), '/proc/uptime');
  }

  async clockSyncAge(): Promise<number | undefined> {
    // timesyncd touches this tmpfs file at every successful synchronisation, and it is absent until the
    // first one since boot. chronyd and ntpd keep nothing comparable in a file (docs: exporter/README.md).
    let mtimeMs: number;
    try {
      mtimeMs = statSync(join(this.runRoot, 'systemd/timesync/synchronized')).mtimeMs;
    } catch {
      return undefined;
    }
    return Math.max(0, ((this.config.wallClock ?? Date.now)() - mtimeMs) / 1000);
  }

  async processCount(): Promise<number> {
    let count = 0;
    for (const entry of readdirSync(this.procRoot)) if (isPidEntry(entry)) count += 1;
    return count;
  }

  async processCounts(names: readonly string[]): Promise<Map<string, number>> {
    const counts = new Map(names.map((n) => [n, 0]));
    if (names.length === 0) return counts;
    for (const pid of readdirSync(this.procRoot)) {
      if (!isPidEntry(pid)) continue;
      // A process can exit between the directory listing and the read: it simply does not count.
      const comm = this.procOrEmpty(`${pid}/comm`, parseComm);
      let argv0: string | undefined;
      const readArgv0 = () => (argv0 ??= this.procOrEmpty(`${pid}/cmdline`, parseArgv0Basename));
      for (const name of names)
        if (processMatches(name, comm, readArgv0)) counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    return counts;
  }

  private mountsOrEmpty(): string {
    try {
      return this.cycleFile('mounts');
    } catch {
      return '';
    }
  }

  private procOrEmpty(file: string, parse: (text: string) => string): string {
    try {
      return parse(this.proc(file));
    } catch {
      return '';
    }
  }

  async networkCounters(): Promise<InterfaceCounters[]> {
    const entries = parseNetDevCounters(this.cycleFile('net/dev'));
    let names = '';
    for (const e of entries) names += `${e.name}\n`;
    const virtual = this.virtualInterfacesOf(names);
    return entries.map((e) => ({
      ...e,
      kind: e.name === 'lo' ? 'loopback' : virtual.has(e.name) ? 'virtual' : 'physical',
    }));
  }

  /**
   * The virtual ones among `names` (the interfaces of /proc/net/dev, each ending in a newline). An interface's kind
   * is fixed when it is created, so the directory is listed again only when an interface comes or goes.
   */
  private virtualInterfacesOf(names: string): ReadonlySet<string> {
    if (this.virtualInterfaces?.names !== names)
      this.virtualInterfaces = { names, virtual: new Set(this.listVirtualInterfaces()) };
    return this.virtualInterfaces.virtual;
  }

  private listVirtualInterfaces(): string[] {
    try {
      return readdirSync(join(this.sysRoot, 'devices/virtual/net'));
    } catch {
      // Kernels or containers without this directory: only `lo` is known to be non-physical.
      return [];
    }
  }

  async temperatures() {
    this.sensors ??= discoverSensors(this.sysRoot);
    return readSensors(await this.sensors);
  }

  filesystems(): Promise<FilesystemReading[]> {
    if (this.sharedFilesystems === undefined) {
      this.sharedFilesystems = this.readFilesystems();
      // Collectors start together: filesystem and filesystem-health asking in the same turn share one
      // statfs per mount (a second one would find the first pending and skip the mount).
      setImmediate(() => (this.sharedFilesystems = undefined));
    }
    return this.sharedFilesystems;
  }

  private readFilesystems(): Promise<FilesystemReading[]> {
    // Listed mounts do not need the table; without it their read-only state is unknown, not "writable".
    const table = this.config.mounts === 'auto' ? this.cycleFile('mounts') : this.mountsOrEmpty();
    const { mounts, readOnly, inMemory } = this.mountTable(table);
    const readings: Array<Promise<FilesystemReading | undefined>> = [];
    const now: Array<FilesystemReading | undefined> = [];
    for (const mount of mounts) {
      if (inMemory.has(mount)) {
        const reading = this.measureNow(mount, readOnly?.has(mount));
        now.push(reading);
        readings.push(Promise.resolve(reading));
      } else readings.push(this.measureInPool(mount, readOnly?.has(mount)));
    }
    // Local disks only (the usual case): no pool round trip, and the readings in mount order at once.
    if (now.length === mounts.length) return Promise.resolve(present(now));
    return Promise.all(readings).then(present);
  }

  /** What the mount table says, parsed again only when its text changed (mounts rarely change). */
  private mountTable(table: string): MountTable {
    if (this.lastMountTable?.text === table) return this.lastMountTable;
    const entries = parseMounts(table);
    const mounts =
      this.config.mounts === 'auto' ? localDiskFilesystems(entries).map((m) => m.mountPoint) : this.config.mounts;
    // The last (visible) mount of a point decides its type; a point not in the table is not trusted.
    const types = new Map(entries.map((e) => [e.mountPoint, e.fsType]));
    const inMemory = new Set(mounts.filter((m) => statfsAnswersFromMemory(types.get(m) ?? '')));
    const readOnly = table === '' ? undefined : readOnlyMountPoints(table);
    this.lastMountTable = { text: table, mounts, readOnly, inMemory };
    return this.lastMountTable;
  }

  private measureNow(mount: string, readOnly: boolean | undefined): FilesystemReading | undefined {
    try {
      return reading(mount, statfsSync(join(this.rootfs, mount)), readOnly);
    } catch (error) {
      this.cannotMeasure(mount, error);
      return undefined;
    }
  }

  private async measureInPool(mount: string, readOnly: boolean | undefined): Promise<FilesystemReading | undefined> {
    if (this.statfsPending.has(mount)) {
      this.config.warn?.(`statfs:${mount}`, `Skipping filesystem "${mount}": the previous statfs has not returned`);
      return undefined;
    }
    this.statfsPending.add(mount);
    try {
      return reading(mount, await statfs(join(this.rootfs, mount)), readOnly);
    } catch (error) {
      this.cannotMeasure(mount, error);
      return undefined;
    } finally {
      this.statfsPending.delete(mount);
    }
  }

  private cannotMeasure(mount: string, error: unknown): void {
    this.config.warn?.(`statfs:${mount}`, `Cannot measure filesystem "${mount}": ${(error as Error).message}`);
  }

  async close(): Promise<void> {
    for (const file of this.kept.values()) file.close();
    this.kept.clear();
  }
}
