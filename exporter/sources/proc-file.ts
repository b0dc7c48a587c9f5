import { closeSync, openSync, readSync } from 'node:fs';

// Enough for /proc/stat of a 64-core machine in one read; grown (doubled) for larger files.
const INITIAL_BYTES = 16 * 1024;
const MAX_BYTES = 16 * 1024 * 1024;

/**
 * A /proc file read again every cycle through one kept descriptor and one reused buffer: `pread` at
 * offset 0 makes the kernel generate the text anew, so a cycle costs one system call per file instead
 * of readFileSync's open, fstat, reads and close, and no new Buffer. A short read is the end of the file
 * (seq_file fills the buffer while there is text); a full one is retried with a buffer twice the size.
 * A failed read closes the descriptor, so the next one opens the file again (and names it in its error).
 */
export class ProcFile {
  private fd: number | undefined;
  private static buffer = Buffer.allocUnsafe(INITIAL_BYTES);

  constructor(readonly path: string) {}

  /** The whole file as text. */
  read(): string {
    this.fd ??= openSync(this.path, 'r');
    try {
      for (;;) {
        const buffer = ProcFile.buffer;
        const bytes = readSync(this.fd, buffer, 0, buffer.length, 0);
        if (bytes < buffer.length || buffer.length >= MAX_BYTES) return buffer.toString('utf8', 0, bytes);
        ProcFile.buffer = Buffer.allocUnsafe(buffer.length * 2);
      }
    } catch (error) {
      this.close();
      throw error;
    }
  }

  close(): void {
    if (this.fd === undefined) return;
    try {
      closeSync(this.fd);
    } catch {
      // Already closed: nothing held.
    }
    this.fd = undefined;
  }
}
