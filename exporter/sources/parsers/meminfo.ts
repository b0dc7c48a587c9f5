import type { MemoryReading } from '../system-source.ts';

/**
 * /proc/meminfo in bytes. Kernels before 3.14 have no MemAvailable: it is estimated as
 * MemFree + Buffers + Cached + SReclaimable, the same approximation `free` used then.
 * `undefined` without MemTotal.
 */
// The fields the reading is made of; the other ~50 lines are skipped without parsing their numbers.
const WANTED = new Set([
  'MemTotal',
  'MemAvailable',
  'MemFree',
  'Buffers',
  'Cached',
  'SReclaimable',
  'SwapTotal',
  'SwapFree',
]);

const isSpace = (code: number) => code === 32 || (code >= 9 && code <= 13);

export function parseMeminfo(text: string): MemoryReading | undefined {
  const kb = new Map<string, number>();
  // One scan with indexOf (this runs every cycle): `Name:   <amount> kB` per line.
  for (let start = 0; start < text.length;) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const colon = text.indexOf(':', start);
    if (colon > start && colon < end) {
      const name = text.slice(start, colon);
      if (WANTED.has(name)) {
        let i = colon + 1;
        while (i < end && isSpace(text.charCodeAt(i))) i += 1;
        const amountStart = i;
        while (i < end && !isSpace(text.charCodeAt(i))) i += 1;
        const amount = text.slice(amountStart, i);
        while (i < end && isSpace(text.charCodeAt(i))) i += 1;
        const unitStart = i;
        while (i < end && !isSpace(text.charCodeAt(i))) i += 1;
        const value = Number(amount);
        // HugePages_* are counts without a unit; only sizes are kept.
        if (text.slice(unitStart, i) === 'kB' && amount !== '' && Number.isFinite(value)) kb.set(name, value);
      }
    }
    start = end + 1;
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
