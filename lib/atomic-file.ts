import { open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { syncDirectory } from './directory-lock.ts';

// Lines are written in chunks of about this size: few syscalls, and the event loop turns between them.
const CHUNK_CHARS = 64 * 1024;

/**
 * Replace `path` by `lines` (each without its newline) so that a crash at any point leaves the old
 * file or the new one: written to `<path>.tmp` (mode 0600), fsync'd, renamed over `path`, and the
 * directory fsync'd. A failed write removes the temporary file and rejects; `path` is untouched.
 */
export async function writeFileAtomically(path: string, lines: Iterable<string>): Promise<void> {
  const temporary = `${path}.tmp`;
  const file = await open(temporary, 'w', 0o600);
  try {
    let chunk = '';
    for (const line of lines) {
      chunk += `${line}\n`;
      if (chunk.length >= CHUNK_CHARS) {
        await file.write(chunk);
        chunk = '';
      }
    }
    await file.write(chunk);
    await file.sync();
  } catch (error) {
    await file.close().catch(() => {});
    await unlink(temporary).catch(() => {});
    throw error;
  }
  await file.close();
  await rename(temporary, path);
  syncDirectory(dirname(path));
}
