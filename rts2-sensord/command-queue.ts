import type { CommandReturn } from './protocol/return-codes.ts';

interface Pending {
  readonly line: string;
  readonly done: (ret: CommandReturn) => void;
}

/**
 * Commands this device sends on one connection, one in flight at a time (docs/rts2-wire.md §2: returns are
 * not tagged, and centrald defers some, so pipelining would pair replies with the wrong command).
 */
export class CommandQueue {
  private readonly waiting: Pending[] = [];
  private inFlight: Pending | undefined;

  constructor(private readonly write: (line: string) => void) {}

  /** Queue a command; `front` jumps the queue, as RTS2's `queSend` does for `authorize`. */
  send(line: string, done: (ret: CommandReturn) => void, front = false): void {
    const pending = { line, done };
    if (front) this.waiting.unshift(pending);
    else this.waiting.push(pending);
    this.next();
  }

  /** A `+N`/`-N` line arrived: it answers the command in flight. Returns false if none was. */
  returned(ret: CommandReturn): boolean {
    const current = this.inFlight;
    if (current === undefined) return false;
    this.inFlight = undefined;
    current.done(ret);
    this.next();
    return true;
  }

  /** The connection is gone: every queued command fails with `ret`. */
  fail(ret: CommandReturn): void {
    const all = [...(this.inFlight === undefined ? [] : [this.inFlight]), ...this.waiting.splice(0)];
    this.inFlight = undefined;
    for (const p of all) p.done(ret);
  }

  private next(): void {
    if (this.inFlight !== undefined) return;
    const pending = this.waiting.shift();
    if (pending === undefined) return;
    this.inFlight = pending;
    this.write(pending.line);
  }
}
