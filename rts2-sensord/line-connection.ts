import type { Socket } from 'node:net';
import type { Logger } from '../lib/logger.ts';
import type { Rts2Line } from './protocol/decode.ts';
import { Rts2LineReader } from './protocol/line-reader.ts';

/** Unsent bytes a peer may fall behind before it is dropped: a monitor that stopped reading must not grow memory. */
export const MAX_UNSENT_BYTES = 4 * 1024 * 1024;

/**
 * One RTS2 TCP connection: decoded lines in, whole lines out (each with its `\n`, written in one
 * call so lines from different producers never interleave). Traffic is logged at debug level.
 */
export class LineConnection {
  private closed = false;

  constructor(
    readonly socket: Socket,
    onLine: (line: Rts2Line, raw: string) => void,
    private readonly log: Logger,
    private readonly label: string,
  ) {
    const reader = new Rts2LineReader({
      line: (line, raw) => {
        if (this.closed) return;
        this.log.debug(`${label} > ${raw}`);
        onLine(line, raw);
      },
      overlong: (bytes) => this.log.debug(`${label}: dropped a line of more than ${bytes} bytes`),
    });
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 30_000);
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    socket.on('error', (error) => this.log.debug(`${label}: ${error.message}`));
    socket.on('close', () => {
      this.closed = true;
    });
  }

  get isOpen(): boolean {
    return !this.closed && !this.socket.destroyed;
  }

  send(...lines: string[]): void {
    if (lines.length === 0 || !this.isOpen) return;
    if (this.socket.writableLength > MAX_UNSENT_BYTES) {
      this.log.warn(`Dropping ${this.label}: it stopped reading`);
      this.destroy();
      return;
    }
    for (const line of lines) this.log.debug(`${this.label} < ${line}`);
    this.socket.write(`${lines.join('\n')}\n`);
  }

  /** Flush what was sent, then close. */
  end(): void {
    this.closed = true;
    this.socket.end();
  }

  destroy(): void {
    this.closed = true;
    this.socket.destroy();
  }
}
