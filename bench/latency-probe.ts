import { request, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import { SseDecoder } from '../lib/sse-decoder.ts';

/**
 * Ingest-to-visible latency: a probe node reports `seq=<n>` on its own connection; the time from
 * the write to the arrival of that report on `/api/v1/stream` (one subscriber, filtered to the
 * probe) is one observation. Both ends are in this process, on one clock.
 */
export class LatencyProbe {
  readonly latenciesMs: number[] = [];
  private readonly sentAt = new Map<number, number>();
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly socket: Socket,
    private readonly response: IncomingMessage,
    readonly node: string,
  ) {
    const decoder = new SseDecoder();
    response.on('data', (chunk: Buffer) => {
      for (const message of decoder.push(chunk)) this.onEvent(message.data);
    });
  }

  static async open(ingestPort: number, httpUrl: string, node = 'probe'): Promise<LatencyProbe> {
    const response = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = request(
        `${httpUrl}/api/v1/stream?node=${node}&types=report`,
        { headers: { accept: 'text/event-stream' } },
        resolve,
      );
      req.on('error', reject);
      req.end();
    });
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port: ingestPort, noDelay: true }, () => resolve(s));
      s.once('error', reject);
    });
    socket.on('error', () => {});
    socket.resume();
    return new LatencyProbe(socket, response, node);
  }

  /** Send one probe report now; returns its sequence number (the value of `seq` on /metrics). */
  send(): number {
    this.seq += 1;
    this.sentAt.set(this.seq, performance.now());
    this.socket.write(`${this.node} ${Math.floor(Date.now() / 1000)} cpu=1 seq=${this.seq}\n`);
    return this.seq;
  }

  /** Send `perSecond` probes a second until stop(). */
  start(perSecond: number): void {
    this.timer = setInterval(() => this.send(), 1000 / perSecond);
  }

  /** Probes sent and not (yet) seen on the stream. */
  get missing(): number {
    return this.sentAt.size;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  close(): void {
    this.stop();
    this.socket.destroy();
    this.response.destroy();
  }

  private onEvent(data: string): void {
    const arrived = performance.now();
    const seq = (JSON.parse(data) as { values?: { seq?: number } }).values?.seq;
    const sent = seq === undefined ? undefined : this.sentAt.get(seq);
    if (seq === undefined || sent === undefined) return;
    this.sentAt.delete(seq);
    this.latenciesMs.push(arrived - sent);
  }
}
