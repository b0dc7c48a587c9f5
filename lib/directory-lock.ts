import { closeSync, fsyncSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { uptime } from 'node:os';
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
 * This boot of the machine: the kernel's boot id on Linux, else the boot time to the minute. A lock
 * from an earlier boot is stale whatever its PID, which after a reboot may belong to anything.
 */
function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim();
  } catch {
    return `boot-${Math.round((Date.now() / 1000 - uptime()) / 60)}`;
  }
}

/**
 * One process per state directory: two writers would interleave or delete each other's files. The
 * lock file holds the PID and the boot id; a lock left by a killed process (its PID gone, or an
 * earlier boot) is taken over. `what` names the directory in the error, e.g.
 * `Queue directory "/x" (--queue-dir)`. Returns the unlock.
 */
export function lockDirectory(dir: string, fileName: string, what: string): () => void {
  const path = resolve(dir, fileName);
  if (heldHere.has(path)) throw new ConfigError(`${what} is in use by this process`);
  const boot = bootId();
  const content = `${process.pid} ${boot}\n`;
  try {
    writeFileSync(path, content, { flag: 'wx', mode: 0o600 });
  } catch {
    let owner: string[] = [];
    try {
      owner = readFileSync(path, 'latin1').trim().split(' ');
    } catch {
      // Unreadable or not a file: treated as a stale lock; the write below says what is wrong.
    }
    const pid = Number(owner[0]);
    const sameBoot = owner[1] === undefined || owner[1] === boot;
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && sameBoot && isAlive(pid))
      throw new ConfigError(`${what} is in use by process ${pid}`);
    writeFileSync(path, content, { mode: 0o600 });
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
