import { readdirSync, readFileSync } from 'node:fs';

// USER_HZ: the unit of utime/stime in /proc/<pid>/stat; 100 on every Linux build that matters.
const CLOCK_TICKS_PER_SECOND = 100;

/** CPU seconds (user + system, all threads) a process has used so far, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces and parentheses: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / CLOCK_TICKS_PER_SECOND;
}

/** Resident set size in bytes (VmRSS of /proc/<pid>/status). */
export function rssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match === null ? Number.NaN : Number(match[1]) * 1024;
}

/** The soft limit on open files of this process (the load generator sizes its connections by it). */
export function openFilesLimit(): number {
  const match = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  return match === null || match[1] === 'unlimited' ? 1_000_000 : Number(match[1]);
}

/** CPU and wall clock between two moments, for one process. */
export class CpuMeter {
  private cpu0: number;
  private wall0: number;

  constructor(private readonly pid: number) {
    this.cpu0 = cpuSeconds(pid);
    this.wall0 = performance.now();
  }

  /** CPU seconds and wall seconds since construction or the last `restart()`. */
  read(): { cpu: number; wall: number } {
    return { cpu: cpuSeconds(this.pid) - this.cpu0, wall: (performance.now() - this.wall0) / 1000 };
  }

  restart(): void {
    this.cpu0 = cpuSeconds(this.pid);
    this.wall0 = performance.now();
  }
}

/**
 * CPU seconds of a process (all threads) in nanosecond resolution, from /proc/<pid>/task/<tid>/schedstat:
 * an idle process uses less than one 10 ms tick of /proc/<pid>/stat in seconds. Threads that ended are
 * not counted, so use it across windows in which the process starts none.
 */
export function preciseCpuSeconds(pid: number): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return ns / 1e9;
}

/** The processes whose parent is `pid` (from /proc/<n>/stat), e.g. to show an agent spawns none. */
export function childPids(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) children.push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  return children;
}
