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
  return parseNetDevCounters(text).map(({ name, rxBytes, txBytes }) => ({ name, rxBytes, txBytes }));
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
  forEachLine(text, (name, fields) => {
    const errors = errorsOf(fields);
    if (errors !== undefined) entries.push({ name, ...errors });
  });
  return entries;
}

/** One interface's bytes (parseNetDev) and, where its line has them all, errors (parseNetDevErrors). */
export interface NetDevCounters extends NetDevEntry {
  readonly errors?: Omit<NetDevErrors, 'name'>;
}

/** parseNetDev and parseNetDevErrors in one pass over the text, as the agent reads it every cycle. */
export function parseNetDevCounters(text: string): NetDevCounters[] {
  const entries: NetDevCounters[] = [];
  forEachLine(text, (name, fields) => {
    const rxBytes = Number(fields[0]);
    const txBytes = Number(fields[8]);
    if (fields.length < 9 || !isCounter(rxBytes) || !isCounter(txBytes)) return;
    const errors = errorsOf(fields);
    entries.push(errors === undefined ? { name, rxBytes, txBytes } : { name, rxBytes, txBytes, errors });
  });
  return entries;
}

function errorsOf(fields: readonly string[]): Omit<NetDevErrors, 'name'> | undefined {
  if (fields.length < 12) return undefined;
  const rxErrors = Number(fields[2]);
  const rxDrops = Number(fields[3]);
  const txErrors = Number(fields[10]);
  const txDrops = Number(fields[11]);
  if (!isCounter(rxErrors) || !isCounter(rxDrops) || !isCounter(txErrors) || !isCounter(txDrops)) return undefined;
  return { rxErrors, rxDrops, txErrors, txDrops };
}

function forEachLine(text: string, each: (name: string, fields: string[]) => void): void {
  for (const line of text.split('\n')) {
    const colon = line.lastIndexOf(':');
    if (colon < 0 || line.includes('|')) continue;
    const name = line.slice(0, colon).trim();
    if (name !== '')
      each(
        name,
        line
          .slice(colon + 1)
          .trim()
          .split(/\s+/),
      );
  }
}

function isCounter(n: number): boolean {
  return Number.isFinite(n) && n >= 0;
}
