import { closeSync, fstatSync, openSync, readdirSync, readFileSync, readSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { lockDirectory } from '../../lib/directory-lock.ts';
import { LineBatch } from './line-batch.ts';

const SEGMENT = /^segment-(\d{12})\.lp$/;

/** File name of segment `seq`; fixed width so a directory listing sorts in queue order. */
export function segmentName(seq: number): string {
  return `segment-${String(seq).padStart(12, '0')}.lp`;
}

/**
 * Sequence numbers of the segment files in `dir`, oldest first, and of entries named like a segment
 * that are not regular files (a directory, a symlink, a device): those are skipped, never read, but
 * their numbers are never used for a new segment either.
 */
export function listSegments(dir: string): { seqs: number[]; odd: string[]; highest: number } {
  const seqs: number[] = [];
  const odd: string[] = [];
  let highest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const m = SEGMENT.exec(entry.name);
    if (m === null) continue;
    const seq = Number(m[1]);
    highest = Math.max(highest, seq);
    if (entry.isFile()) seqs.push(seq);
    else odd.push(entry.name);
  }
  return { seqs: seqs.sort((a, b) => a - b), odd, highest };
}

/**
 * A segment's lines (its bytes as they are), with a torn (unterminated) last line cut off the file;
 * read into a buffer from `alloc` (the pool: fresh memory is dear) when given.
 */
export function readSegment(path: string, alloc?: (size: number) => Buffer): { batch: LineBatch; tornBytes: number } {
  const { batch, tornBytes } = LineBatch.parse(readFileInto(path, alloc));
  // A SIGKILL or power cut during a write can leave half a line: only complete lines are data.
  if (tornBytes > 0) truncateSync(path, batch.byteLength);
  return { batch, tornBytes };
}

function readFileInto(path: string, alloc: ((size: number) => Buffer) | undefined): Buffer {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    if (alloc === undefined) return readFileSync(fd);
    const into = alloc(size);
    let done = 0;
    while (done < size) {
      const n = readSync(fd, into, done, size - done, done);
      if (n === 0) break;
      done += n;
    }
    return into.subarray(0, done);
  } finally {
    closeSync(fd);
  }
}

/**
 * Suffix minima of the lines' timestamps: element i is the oldest timestamp of lines i.. (the
 * oldest-point gauge once lines before i are drained), read off in one pass from the end.
 */
export function oldestFrom(batch: LineBatch): Float64Array {
  const oldest = new Float64Array(batch.count);
  let min = Infinity;
  for (let i = batch.count - 1; i >= 0; i -= 1) {
    const t = batch.timestamp(i);
    if (t < min) min = t;
    oldest[i] = min;
  }
  return oldest;
}

/**
 * The drain position `<seq> <line>` saved after each partial acknowledgement; `undefined` when there
 * is none (the head segment drains from its start), `'invalid'` when the file holds anything else.
 */
export function readCursor(dir: string): { seq: number; line: number } | 'invalid' | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, 'cursor'), 'latin1');
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? undefined : 'invalid';
  }
  const m = /^(\d{1,15}) (\d{1,15})\n?$/.exec(text);
  return m === null ? 'invalid' : { seq: Number(m[1]), line: Number(m[2]) };
}

/**
 * One bridge per spool directory: two writers would interleave segments. The lock holds the PID and
 * the boot id (lib/directory-lock.ts); a lock left by a killed bridge, or from an earlier boot, is
 * taken over.
 */
export function lockSpoolDirectory(dir: string): () => void {
  return lockDirectory(dir, 'spool.lock', `Spool directory "${dir}" (--spool-dir)`);
}
