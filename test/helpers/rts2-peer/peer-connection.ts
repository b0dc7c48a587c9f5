import { connect, type Socket } from 'node:net';
import { waitFor } from '../wait-for.ts';
import { readLines, SHAPES } from './wire.ts';

/** What a command got back: the lines before its return line, and the return itself. */
export interface Answer {
  readonly code: number;
  readonly text: string;
  readonly lines: string[];
}

/**
 * One client-side RTS2 connection for tests: records every line, sends one command at a time and
 * resolves with its return (docs/rts2-wire.md §2), and can wait for a line or for the peer closing.
 */
export class PeerConnection {
  readonly received: string[] = [];
  closed = false;
  private current: { lines: string[]; done: (a: Answer) => void } | undefined;
  private readonly listeners = new Set<(line: string) => void>();

  private constructor(readonly socket: Socket) {
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
    });
    readLines(socket, (line) => {
      this.received.push(line);
      for (const l of this.listeners) l(line);
      if (this.current === undefined) return;
      const m = SHAPES.return!.exec(line);
      if (m === null) {
        this.current.lines.push(line);
        return;
      }
      const { lines, done } = this.current;
      this.current = undefined;
      done({ code: Number(m[1]), text: m[2]!, lines });
    });
  }

  static open(port: number, host = '127.0.0.1'): Promise<PeerConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port }, () => resolve(new PeerConnection(socket)));
      socket.once('error', reject);
    });
  }

  onLine(listener: (line: string) => void): void {
    this.listeners.add(listener);
  }

  write(text: string): void {
    this.socket.write(text);
  }

  /** Send a command and wait (bounded) for its return line. */
  command(line: string, timeoutMs = 5000): Promise<Answer> {
    if (this.current !== undefined) throw new Error('one command at a time');
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no return for "${line}" within ${timeoutMs} ms`)), timeoutMs);
      this.current = {
        lines: [],
        done: (a) => {
          clearTimeout(timer);
          resolve(a);
        },
      };
      this.socket.write(`${line}\n`);
    });
  }

  /** Wait for a received line matching `pattern`, counting from line `from`. */
  waitForLine(pattern: RegExp, from = 0, timeoutMs = 5000): Promise<string> {
    return waitFor(
      `a line matching ${pattern}`,
      () => this.received.slice(from).find((l) => pattern.test(l)),
      timeoutMs,
    );
  }

  async waitClosed(timeoutMs = 5000): Promise<void> {
    await waitFor('the peer to close the connection', () => this.closed, timeoutMs);
  }

  close(): void {
    this.socket.destroy();
  }
}
