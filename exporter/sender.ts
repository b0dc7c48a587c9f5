import { connect, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { Backoff, type BackoffOptions } from '../lib/backoff.ts';
import type { Logger } from '../lib/logger.ts';
import { LineSplitter } from '../protocol/line-splitter.ts';
import type { QueuedReport, ReportQueue } from './queue.ts';

/** One bridge to send to. */
export interface ServerAddress {
  readonly host: string;
  readonly port: number;
}

export type ConnectionState = 'connecting' | 'connected' | 'waiting' | 'stopped';

/** What a sender tells the agent's self-metrics. */
export interface SenderEvents {
  connected?(server: string): void;
  disconnected?(server: string): void;
  connectFailed?(server: string): void;
  written?(report: QueuedReport): void;
  errReply?(reason: string): void;
}

/** Moves queued reports to a bridge. */
export interface Sender {
  readonly state: ConnectionState;
  /** `host:port` of the connected bridge. */
  readonly server: string | undefined;
  /** A report was queued: write it now when connected. */
  notify(): void;
  /** Write what is queued if connected, close within `timeoutMs`, stop reconnecting. */
  stop(timeoutMs: number): Promise<void>;
}

export interface TcpSenderOptions {
  /** Failover order: each round tries them in turn, then waits a backoff delay. */
  readonly servers: readonly ServerAddress[];
  /** Give up a connection attempt after this many milliseconds; default DEFAULT_CONNECT_TIMEOUT_MS. */
  readonly connectTimeoutMs?: number;
  /** Delay between rounds; default DEFAULT_BACKOFF. */
  readonly backoff?: BackoffOptions;
  /** A connection up this long resets the backoff, milliseconds; default 5000. */
  readonly stableAfterMs?: number;
  /** Sent as the first line, `AUTH <token>`, on every connection (bridge `--auth`). */
  readonly token?: string;
  /** Connect with TLS (bridge `--tls-port`): CA to trust, optional client certificate and key. */
  readonly tls?: Pick<TlsConnectionOptions, 'ca' | 'cert' | 'key'>;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
/** 0.5 s doubling to 30 s, jittered: a restarted bridge is not hit by every agent at once. */
export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 30_000 };
// ERR replies are a few dozen bytes; anything longer is not from a bridge and is skipped.
const MAX_REPLY_BYTES = 1024;

const isIpLiteral = (host: string) => /^[\d.]+$/.test(host) || host.includes(':');
const label = (s: ServerAddress) => (s.host.includes(':') ? `[${s.host}]:${s.port}` : `${s.host}:${s.port}`);

/**
 * TCP client over a failover list. A report leaves the queue once handed to `socket.write()`,
 * honouring backpressure ('drain'). Loss window: TCP has no end-to-end acknowledgement, so lines
 * written into a connection that then dies (bridge killed, or a host gone silently, which the
 * kernel notices only after its retransmission timeout) are lost; everything still queued is not.
 */
export class TcpSender implements Sender {
  state: ConnectionState = 'connecting';
  server: string | undefined;
  private socket: Socket | undefined;
  private waitingForDrain = false;
  private timer: NodeJS.Timeout | undefined;
  private outageLogged = false;
  private readonly backoff: Backoff;

  constructor(
    private readonly queue: ReportQueue,
    private readonly options: TcpSenderOptions,
    private readonly log: Logger,
    private readonly events: SenderEvents = {},
  ) {
    if (options.servers.length === 0) throw new Error('TcpSender needs at least one server');
    this.backoff = new Backoff(options.backoff ?? DEFAULT_BACKOFF);
    this.connect(0);
  }

  notify(): void {
    this.flush();
  }

  private connect(index: number): void {
    const server = this.options.servers[index]!;
    const name = label(server);
    this.state = 'connecting';
    const tls = this.options.tls;
    const socket: Socket =
      tls === undefined
        ? connect({ host: server.host, port: server.port })
        : connectTls({ host: server.host, port: server.port, ...tls, servername: isIpLiteral(server.host) ? undefined : server.host });
    this.socket = socket;
    let up = false;
    let stableTimer: NodeJS.Timeout | undefined;
    let lastError = 'closed by peer';
    socket.setNoDelay(true);
    socket.setTimeout(this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS, () => {
      if (!up) socket.destroy(new Error('connect timeout'));
    });
    socket.once(tls === undefined ? 'connect' : 'secureConnect', () => {
      up = true;
      if (this.options.token !== undefined) socket.write(`AUTH ${this.options.token}\n`);
      socket.setTimeout(0);
      this.state = 'connected';
      this.server = name;
      this.outageLogged = false;
      this.log.info(`Connected to ${name}`);
      stableTimer = setTimeout(() => this.backoff.reset(), this.options.stableAfterMs ?? 5000);
      this.events.connected?.(name);
      this.flush();
    });
    this.readReplies(socket);
    socket.on('drain', () => {
      this.waitingForDrain = false;
      this.flush();
    });
    // ECONNREFUSED, ECONNRESET, EPIPE, ETIMEDOUT, ENOTFOUND: all mean "try elsewhere later"; 'close' follows.
    socket.on('error', (error) => (lastError = error.message));
    socket.on('close', () => {
      clearTimeout(stableTimer);
      this.socket = undefined;
      this.server = undefined;
      this.waitingForDrain = false;
      if (this.state === 'stopped') return;
      if (up) {
        this.log.warn(`Connection to ${name} lost (${lastError}); ${this.queue.length} reports queued`);
        this.events.disconnected?.(name);
        return this.retryLater(0);
      }
      this.events.connectFailed?.(name);
      this.log.debug(`Cannot connect to ${name}: ${lastError}`);
      if (index + 1 < this.options.servers.length) return this.connect(index + 1);
      if (!this.outageLogged) {
        this.log.warn(`No server reachable (last: ${name}, ${lastError}); queueing reports and retrying`);
        this.outageLogged = true;
      }
      this.retryLater(0);
    });
  }

  private retryLater(index: number): void {
    this.state = 'waiting';
    this.timer = setTimeout(() => this.connect(index), this.backoff.next());
  }

  private readReplies(socket: Socket): void {
    const splitter = new LineSplitter(MAX_REPLY_BYTES);
    const sink = {
      line: (text: string) => {
        if (!text.startsWith('ERR ')) return;
        const reason = text.slice(4).trim();
        this.log.debug(`Bridge refused a report: "${reason.slice(0, 64)}"`);
        this.events.errReply?.(reason);
      },
      overlong: () => {},
    };
    socket.on('data', (chunk: Buffer) => splitter.push(chunk, sink));
  }

  private flush(ignoreBackpressure = false): void {
    const socket = this.socket;
    while (this.state === 'connected' && socket !== undefined && !socket.destroyed && (ignoreBackpressure || !this.waitingForDrain)) {
      const report = this.queue.peek();
      if (report === undefined) return;
      const accepted = socket.write(`${report.line}\n`);
      this.queue.shift();
      this.events.written?.(report);
      if (!accepted) this.waitingForDrain = true;
    }
  }

  async stop(timeoutMs: number): Promise<void> {
    clearTimeout(this.timer);
    const socket = this.socket;
    if (this.state === 'connected' && socket !== undefined) {
      // The queue is bounded (about 1 MB), so handing it all to the socket at once is acceptable here.
      this.flush(true);
      this.state = 'stopped';
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => socket.destroy(), timeoutMs);
        socket.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        socket.end();
      });
      return;
    }
    this.state = 'stopped';
    socket?.destroy();
  }
}
