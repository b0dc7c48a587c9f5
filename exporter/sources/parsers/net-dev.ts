/** Byte counters of one line of /proc/net/dev. */
export interface NetDevEntry {
  readonly name: string;
  readonly rxBytes: number;
  readonly txBytes: number;
}

/**
 * /proc/net/dev: two header lines, then `<name>: <8 receive fields> <8 transmit fields>`. The
 * name ends at the last colon, because old kernels print `eth0:123456` with no space once the
 * counter is wide, and names from odd drivers may contain colons or spaces. Lines with fewer
 * than nine numeric fields are skipped.
 */
export function parseNetDev(text: string): NetDevEntry[] {
  const entries: NetDevEntry[] = [];
  for (const line of text.split('\n')) {
    const colon = line.lastIndexOf(':');
    if (colon < 0 || line.includes('|')) continue;
    const name = line.slice(0, colon).trim();
    const fields = line.slice(colon + 1).trim().split(/\s+/);
    const rx = Number(fields[0]);
    const tx = Number(fields[8]);
    if (name === '' || fields.length < 9 || !isCounter(rx) || !isCounter(tx)) continue;
    entries.push({ name, rxBytes: rx, txBytes: tx });
  }
  return entries;
}

function isCounter(n: number): boolean {
  return Number.isFinite(n) && n >= 0;
}
