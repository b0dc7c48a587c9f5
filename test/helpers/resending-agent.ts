import { connect, type Socket } from 'node:net';

export interface ResendingAgentOptions {
  /** Timestamp of the first report; each later one is one second further (distinct points). */
  readonly firstTimestamp: number;
  /** Wall-clock time between reports, ms. */
  readonly periodMs: number;
  /**
   * When a connection is lost, lines written to it in this many ms before are sent again on the next
   * one: plain TCP has no acknowledgement, and storage is idempotent.
   */
  readonly resendWindowMs: number;
}

interface Sent {
  readonly timestamp: number;
  readonly line: string;
  /** Last time it was written to a socket (ms), or undefined. */
  writtenAt: number | undefined;
}

/**
 * A test agent: one report per period with a distinct timestamp (`procs` and `disk@/data` carry the
 * report number), written to the bridge when connected, reconnecting every 100 ms, and re-sending
 * what it wrote shortly before a connection broke.
 */
export class ResendingAgent {
  readonly sent: Sent[] = [];
  private socket: Socket | undefined;
  private connected = false;
  private nextToWrite = 0;
  private held = false;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly node: string,
    private readonly port: number,
    private readonly options: ResendingAgentOptions,
  ) {}

  start(): void {
    this.timer = setInterval(() => this.report(), this.options.periodMs);
    this.connect();
  }

  /** Stop reconnecting (reports go on, queued) until release(). */
  hold(): void {
    this.held = true;
  }

  release(): void {
    this.held = false;
    if (!this.connected) this.connect();
  }

  /** Stop reporting, write what is queued, close gracefully. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.reconnectTimer);
    const socket = this.socket;
    if (socket === undefined || !this.connected) return;
    await new Promise<void>((resolve) => {
      socket.once('close', () => resolve());
      socket.end();
    });
  }

  /** Timestamps of every report made so far. */
  timestamps(): number[] {
    return this.sent.map((s) => s.timestamp);
  }

  private report(): void {
    const n = this.sent.length;
    const timestamp = this.options.firstTimestamp + n;
    this.sent.push({
      timestamp,
      line: `${this.node} ${timestamp} procs=${n} disk@/data=${n % 100}\n`,
      writtenAt: undefined,
    });
    this.flush();
  }

  private flush(): void {
    if (!this.connected || this.socket === undefined) return;
    const now = Date.now();
    let chunk = '';
    for (; this.nextToWrite < this.sent.length; this.nextToWrite += 1) {
      const s = this.sent[this.nextToWrite]!;
      s.writtenAt = now;
      chunk += s.line;
    }
    if (chunk !== '') this.socket.write(chunk);
  }

  private connect(): void {
    if (this.held || this.stopped || this.socket !== undefined) return;
    const socket = connect({ host: '127.0.0.1', port: this.port });
    this.socket = socket;
    socket.on('data', () => {});
    socket.on('error', () => {});
    socket.once('connect', () => {
      this.connected = true;
      this.flush();
    });
    socket.once('close', () => {
      if (this.connected) this.lost(Date.now());
      this.connected = false;
      this.socket = undefined;
      if (!this.stopped) this.reconnectTimer = setTimeout(() => this.connect(), 100);
    });
  }

  private lost(at: number): void {
    // Written-at times rise with the index (every write sends from some index to the end), so the
    // lines to resend are a suffix.
    let from = this.nextToWrite;
    while (from > 0 && (this.sent[from - 1]!.writtenAt ?? 0) >= at - this.options.resendWindowMs) from -= 1;
    this.nextToWrite = from;
  }
}
