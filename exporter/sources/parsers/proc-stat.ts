import type { CpuTimes } from '../system-source.ts';

/**
 * The aggregate `cpu` line of /proc/stat (USER_HZ ticks). Kernels before 2.6 have only four
 * fields and before 2.6.11 no steal; missing fields count as 0. Guest time is already inside user
 * time, so it is left out of the total. `undefined` when there is no usable `cpu` line.
 */
export function parseProcStat(text: string): CpuTimes | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith('cpu ')) continue;
    const fields = line.slice(4).trim().split(/\s+/).map(Number);
    if (fields.length < 4 || fields.some((n) => !Number.isFinite(n) || n < 0)) return undefined;
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
    const busy = user + nice + system + irq + softirq + steal;
    return { busy, total: busy + idle + iowait };
  }
  return undefined;
}
