import type { CpuTimes } from '../system-source.ts';

/**
 * One `cpu` or `cpuN` line of /proc/stat (USER_HZ ticks). Kernels before 2.6 have only four fields
 * and before 2.6.11 no steal; missing fields count as 0. Guest time is already inside user time, so
 * it is left out of the total. `undefined` for a line that is not a usable cpu line.
 */
function cpuLine(fields: readonly string[]): CpuTimes | undefined {
  const numbers = fields.map(Number);
  if (numbers.length < 4 || numbers.some((n) => !Number.isFinite(n) || n < 0)) return undefined;
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = numbers;
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait, iowait, steal };
}

/** The aggregate `cpu` line of /proc/stat; `undefined` when there is no usable one. */
export function parseProcStat(text: string): CpuTimes | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('cpu ')) return cpuLine(line.slice(4).trim().split(/\s+/));
  }
  return undefined;
}

/**
 * The per-core `cpuN` lines, keyed by the core number as text (`"0"`, `"1"`, ...). An offline core
 * has no line, so numbers can have gaps; a malformed line is left out, the others still count.
 */
export function parseProcStatCores(text: string): Map<string, CpuTimes> {
  const cores = new Map<string, CpuTimes>();
  for (const line of text.split('\n')) {
    const match = /^cpu(\d+) +(.*)$/.exec(line);
    if (match === null) continue;
    const times = cpuLine(match[2]!.trim().split(/\s+/));
    if (times !== undefined) cores.set(String(Number(match[1])), times);
  }
  return cores;
}
