import { closeSync, fsyncSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigError } from '../config/config-error.ts';

/** fsync a directory so new or removed file names survive a power cut, not only their contents. */
export function syncDirectory(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * One process per state directory: two writers would interleave or delete each other's files. The
 * lock file holds the PID; a lock left by a killed process (its PID gone) is taken over. `what`
 * names the directory in the error, e.g. `Queue directory "/x" (--queue-dir)`. Returns the unlock.
 */
export function lockDirectory(dir: string, fileName: string, what: string): () => void {
  const path = resolve(dir, fileName);
  if (heldHere.has(path)) throw new ConfigError(`${what} is in use by this process`);
  try {
    writeFileSync(path, `${process.pid}\n`, { flag: 'wx' });
  } catch {
    let pid = Number.NaN;
    try {
      pid = Number(readFileSync(path, 'latin1').trim());
    } catch {
      // Unreadable or not a file: treated as a stale lock; the write below says what is wrong.
    }
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) throw new ConfigError(`${what} is in use by process ${pid}`);
    writeFileSync(path, `${process.pid}\n`);
  }
  heldHere.add(path);
  return () => {
    heldHere.delete(path);
    rmSync(path, { force: true });
  };
}

// A lock file holds a PID, which cannot tell two users of one process (tests, demo) apart.
const heldHere = new Set<string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
