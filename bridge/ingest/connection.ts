import type { Socket } from 'node:net';
import { LineSplitter } from '../../protocol/line-splitter.ts';
import type { LineHandler } from './line-handler.ts';
import type { SelfMetrics } from '../self-metrics.ts';

export interface ConnectionOptions {
  readonly maxLineBytes: number;
  readonly idleTimeoutMs: number;
  readonly errReplies: boolean;
}

// An agent that never reads must not make the bridge buffer replies for it: once this much is
// unsent, replies are skipped.
const MAX_UNSENT_REPLY_BYTES = 4096;
// At most this many ERR replies per connection per second; the counters carry the full picture.
const MAX_REPLIES_PER_SECOND = 10;

/** One agent connection: framing, per-line handling, optional ERR replies, idle timeout. */
export function serveConnection(
  socket: Socket,
  handler: LineHandler,
  metrics: SelfMetrics,
  options: ConnectionOptions,
  onClose: (reason: 'peer' | 'idle' | 'error') => void,
): void {
  const source = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
  const splitter = new LineSplitter(options.maxLineBytes);
  let replyWindowStart = 0;
  let repliesInWindow = 0;
  let closeReason: 'peer' | 'idle' | 'error' = 'peer';

  const reply = (reason: string | undefined) => {
    if (reason === undefined || !options.errReplies || socket.destroyed) return;
    const now = Date.now();
    if (now - replyWindowStart >= 1000) {
      replyWindowStart = now;
      repliesInWindow = 0;
    }
    if (repliesInWindow >= MAX_REPLIES_PER_SECOND || socket.writableLength > MAX_UNSENT_REPLY_BYTES) {
      metrics.errRepliesSkipped.inc();
      return;
    }
    repliesInWindow += 1;
    socket.write(`ERR ${reason}\n`);
  };

  const sink = {
    line: (text: string) => reply(handler.handle(text, source)),
    overlong: (bytes: number) => reply(handler.overlong(bytes, source)),
  };

  socket.setNoDelay(true);
  socket.setTimeout(options.idleTimeoutMs);
  socket.on('timeout', () => {
    closeReason = 'idle';
    socket.destroy();
  });
  socket.on('data', (chunk: Buffer) => splitter.push(chunk, sink));
  // A half-closed agent (`nc -N`, shutdown(SHUT_WR)) has sent everything: close our side too.
  socket.on('end', () => {
    splitter.end(sink);
    socket.end();
  });
  socket.on('error', () => {
    // ECONNRESET and friends are normal for agents that vanish; the close counter records them.
    closeReason = 'error';
  });
  socket.on('close', () => onClose(closeReason));
}
