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
  for (const { name, fields } of netDevLines(text)) {
    const rx = Number(fields[0]);
    const tx = Number(fields[8]);
    if (fields.length < 9 || !isCounter(rx) || !isCounter(tx)) continue;
    entries.push({ name, rxBytes: rx, txBytes: tx });
  }
  return entries;
}

/** Error and drop counters of one line of /proc/net/dev. */
export interface NetDevErrors {
  readonly name: string;
  readonly rxErrors: number;
  readonly rxDrops: number;
  readonly txErrors: number;
  readonly txDrops: number;
}

/**
 * The `errs` and `drop` columns of /proc/net/dev (receive fields 3-4, transmit fields 11-12), with
 * the same name rules as parseNetDev; lines without all 12 numbers are skipped.
 */
export function parseNetDevErrors(text: string): NetDevErrors[] {
  const entries: NetDevErrors[] = [];
  for (const { name, fields } of netDevLines(text)) {
    const [rxErrors, rxDrops, txErrors, txDrops] = [fields[2], fields[3], fields[10], fields[11]].map(Number);
    if (rxErrors === undefined || rxDrops === undefined || txErrors === undefined || txDrops === undefined) continue;
    if (fields.length < 12 || ![rxErrors, rxDrops, txErrors, txDrops].every(isCounter)) continue;
    entries.push({ name, rxErrors, rxDrops, txErrors, txDrops });
  }
  return entries;
}

function* netDevLines(text: string): Generator<{ name: string; fields: string[] }> {
  for (const line of text.split('\n')) {
    const colon = line.lastIndexOf(':');
    if (colon < 0 || line.includes('|')) continue;
    const name = line.slice(0, colon).trim();
    if (name !== '')
      yield {
        name,
        fields: line
          .slice(colon + 1)
          .trim()
          .split(/\s+/),
      };
  }
}

function isCounter(n: number): boolean {
  return Number.isFinite(n) && n >= 0;
}
