import type { MemoryReading } from '../system-source.ts';

/**
 * /proc/meminfo in bytes. Kernels before 3.14 have no MemAvailable: it is estimated as
 * MemFree + Buffers + Cached + SReclaimable, the same approximation `free` used then.
 * `undefined` without MemTotal.
 */
export function parseMeminfo(text: string): MemoryReading | undefined {
  const kb = new Map<string, number>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const [amount, unit] = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/);
    const value = Number(amount);
    // HugePages_* are counts without a unit; only sizes are kept.
    if (unit !== 'kB' || amount === '' || !Number.isFinite(value)) continue;
    kb.set(line.slice(0, colon), value);
  }
  const total = kb.get('MemTotal');
  if (total === undefined) return undefined;
  const available =
    kb.get('MemAvailable') ??
    (kb.get('MemFree') ?? 0) + (kb.get('Buffers') ?? 0) + (kb.get('Cached') ?? 0) + (kb.get('SReclaimable') ?? 0);
  return {
    totalBytes: total * 1024,
    availableBytes: Math.min(available, total) * 1024,
    swapTotalBytes: (kb.get('SwapTotal') ?? 0) * 1024,
    swapFreeBytes: (kb.get('SwapFree') ?? 0) * 1024,
  };
}
