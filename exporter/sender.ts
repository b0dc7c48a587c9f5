import { createRequire } from 'node:module';
import { connect, type Socket } from 'node:net';
import type * as Tls from 'node:tls';
import { Backoff, type BackoffOptions } from '../lib/backoff.ts';
import type { Logger } from '../lib/logger.ts';
import { LineSplitter } from '../protocol/line-splitter.ts';
import { VERSION } from '../lib/version.ts';
import { encodeAgent, encodeAuth, encodePing, parseReply, type ErrReason } from '../protocol/session.ts';
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
  errReply?(reason: ErrReason | 'other'): void;
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
  /** Sent after AUTH on every connection as `AGENT <name>/<version>`; default `obsmon-exporter/<VERSION>`. */
  readonly agent?: string;
  /**
   * A connection whose bridge answered PINGs before but has not answered one for this long is
   * treated as dead (a silent link cut is otherwise noticed only after TCP's ~15 min), ms.
   */
  readonly ackTimeoutMs?: number;
  /** Connect with TLS (bridge `--tls-port`): CA to trust, optional client certificate and key. */
  readonly tls?: Pick<Tls.ConnectionOptions, 'ca' | 'cert' | 'key'>;
}

// node:tls (with OpenSSL's state) costs a process ~2 MB of RSS, and most agents send plain TCP: it is
// loaded at the first TLS connection. A built-in module, so this require needs no node_modules.
const requireBuiltin = createRequire(import.meta.url);
let tlsModule: typeof Tls | undefined;
const connectTls = (options: Tls.ConnectionOptions): Tls.TLSSocket =>
  (tlsModule ??= requireBuiltin('node:tls') as typeof Tls).connect(options);

export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
/** 0.5 s doubling to 30 s, jittered: a restarted bridge is not hit by every agent at once. */
export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 500, maxMs: 30_000 };
export const DEFAULT_ACK_TIMEOUT_MS = 15_000;
export const DEFAULT_AGENT = `obsmon-exporter/${VERSION}`;
// A bridge that never answers PING (another implementation) gets the lines of this window re-sent.
const UNACKNOWLEDGED_WINDOW_MS = 30_000;
// A backlog is written in pieces of about this many characters (the socket's default high-water mark).
const WRITE_BATCH_CHARS = 16 * 1024;
// ERR replies are a few dozen bytes; anything longer is not from a bridge and is skipped.
const MAX_REPLY_BYTES = 1024;

const isIpLiteral = (host: string) => /^[\d.]+$/.test(host) || host.includes(':');
const label = (s: ServerAddress) => (s.host.includes(':') ? `[${s.host}]:${s.port}` : `${s.host}:${s.port}`);

/**
 * TCP client over a failover list. A report leaves the queue once handed to `socket.write()`,
 * honouring backpressure ('drain'), and is kept until acknowledged: after each batch the sender
 * writes `PING <n>`, and the bridge's `PONG <n>` (lines are handled in order) confirms everything
 * before it (`queue.acknowledge`, which also removes it from a --queue-dir). When a connection
 * dies — bridge killed, link cut, or no PONG within `ackTimeoutMs` — the unacknowledged reports go
 * back to the front of the queue and are sent again on the next connection (storage is idempotent,
 * live values newest-wins). A bridge that never answers PING gets the last 30 s re-sent instead.
 */
export class TcpSender {
  state: ConnectionState = 'connecting';
  /** `host:port` of the connected bridge. */
  server: string | undefined;
  private socket: Socket | undefined;
  private waitingForDrain = false;
  private timer: NodeJS.Timeout | undefined;
  private outageLogged = false;
  private readonly backoff: Backoff;
  /** Written on the current connection, not yet acknowledged; `seq` is the PING that will confirm it. */
  private unacked: Array<{ readonly report: QueuedReport; readonly seq: number; readonly at: number }> = [];
  private pingSeq = 0;
  private pongSeen = false;
  private oldestOutstandingPingAt: number | undefined;
  private ackTimer: NodeJS.Timeout | undefined;

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

  /** A report was queued: write it now when connected. */
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
        : connectTls({
            host: server.host,
            port: server.port,
            ...tls,
            servername: isIpLiteral(server.host) ? undefined : server.host,
          });
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
      this.pongSeen = false;
      this.oldestOutstandingPingAt = undefined;
      if (this.options.token !== undefined) socket.write(encodeAuth(this.options.token));
      // The bridge shows it per node, so an operator finds the machines left on an old agent.
      socket.write(encodeAgent(this.options.agent ?? DEFAULT_AGENT));
      socket.setTimeout(0);
      this.state = 'connected';
      this.server = name;
      this.outageLogged = false;
      this.log.info(`Connected to ${name}`);
      stableTimer = setTimeout(() => this.backoff.reset(), this.options.stableAfterMs ?? 5000);
      this.events.connected?.(name);
      this.flush();
    });
    this.readReplies(socket, () => {
      // An HTTP server answers the first report line with a 400 status line and closes.
      lastError = `the peer speaks HTTP, not the agent protocol: is ${name} the bridge's HTTP port (default 7080) instead of its agent port (default 7070)?`;
      socket.destroy();
    });
    socket.on('drain', () => {
      this.waitingForDrain = false;
      this.flush();
    });
    // ECONNREFUSED, ECONNRESET, EPIPE, ETIMEDOUT, ENOTFOUND: all mean "try elsewhere later"; 'close' follows.
    socket.on('error', (error) => (lastError = error.message));
    socket.on('close', () => {
      clearTimeout(stableTimer);
      this.stopAcknowledgementCheck();
      this.requeueUnacknowledged();
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

  private readReplies(socket: Socket, peerSpeaksHttp: () => void): void {
    const splitter = new LineSplitter(MAX_REPLY_BYTES);
    const sink = {
      line: (text: string) => {
        if (text.startsWith('HTTP/')) return peerSpeaksHttp();
        const reply = parseReply(text);
        if (reply?.kind === 'pong') return this.acknowledged(Number(reply.token), socket);
        if (reply?.kind !== 'err') return;
        this.log.debug(`Bridge refused a report: ${reply.reason}`);
        this.events.errReply?.(reply.reason);
      },
      overlong: () => {},
    };
    socket.on('data', (chunk: Buffer) => splitter.push(chunk, sink));
  }

  private flush(ignoreBackpressure = false): void {
    const socket = this.socket;
    if (socket === undefined || socket.destroyed) return;
    this.writeQueued(socket, ignoreBackpressure);
  }

  /**
   * The reports and their PING leave as one string in one write (a backlog in pieces of about
   * WRITE_BATCH_CHARS): one system call and one TCP segment per cycle, and none of the stream's
   * cork/writev machinery, which cost a cold agent more than the system call (exporter/README.md).
   */
  private writeQueued(socket: Socket, ignoreBackpressure: boolean): void {
    const seq = this.pingSeq + 1;
    const at = Date.now();
    let wrote = 0;
    let text = '';
    while (this.state === 'connected' && !socket.destroyed && (ignoreBackpressure || !this.waitingForDrain)) {
      const report = this.queue.peek();
      if (report === undefined) break;
      text += `${report.line}\n`;
      this.queue.shift();
      this.unacked.push({ report, seq, at });
      wrote += 1;
      this.events.written?.(report);
      if (text.length >= WRITE_BATCH_CHARS) {
        if (!socket.write(text)) this.waitingForDrain = true;
        text = '';
      }
    }
    if (wrote === 0 || socket.destroyed) return;
    this.pingSeq = seq;
    if (!socket.write(text + encodePing(seq))) this.waitingForDrain = true;
    this.oldestOutstandingPingAt ??= at;
    this.watchAcknowledgement(socket);
    // Without PONGs (a bridge that does not answer) keep only a window, so memory stays bounded.
    if (!this.pongSeen) {
      const cutoff = at - UNACKNOWLEDGED_WINDOW_MS;
      let old = 0;
      while (old < this.unacked.length && this.unacked[old]!.at < cutoff) old += 1;
      // No longer kept for resending: settled as far as the queue (and a --queue-dir) is concerned.
      if (old > 0) this.queue.acknowledge(this.unacked.splice(0, old).map((u) => u.report));
    }
  }

  private acknowledged(seq: number, socket: Socket): void {
    if (!Number.isInteger(seq)) return;
    this.pongSeen = true;
    let confirmed = 0;
    while (confirmed < this.unacked.length && this.unacked[confirmed]!.seq <= seq) confirmed += 1;
    this.queue.acknowledge(this.unacked.splice(0, confirmed).map((u) => u.report));
    this.oldestOutstandingPingAt = seq >= this.pingSeq ? undefined : Date.now();
    this.watchAcknowledgement(socket);
  }

  /**
   * One check, due when the oldest unanswered PING reaches the ack timeout, armed only while a PING is
   * outstanding on a connection whose bridge answers PINGs. Not a 1 s interval cleared at the PONG: a
   * timer cleared outside Node's timer phase (here in the socket's read) leaves libuv's timer armed, so
   * the interval woke the agent once a second after every cycle (strace; exporter/README.md). The check
   * is due 15 s after the PING, after the next cycle's timer at a 10 s interval, so it wakes nothing.
   * It is a one-shot setInterval, not a setTimeout: tests fake setInterval and Date only.
   */
  private watchAcknowledgement(socket: Socket): void {
    if (!this.pongSeen || this.oldestOutstandingPingAt === undefined) return this.stopAcknowledgementCheck();
    if (this.ackTimer !== undefined) return;
    const due = this.oldestOutstandingPingAt + this.ackTimeoutMs() - Date.now();
    this.ackTimer = setInterval(
      () => {
        this.stopAcknowledgementCheck();
        this.checkAcknowledgement(socket);
      },
      Math.max(1, due),
    );
  }

  private stopAcknowledgementCheck(): void {
    clearInterval(this.ackTimer);
    this.ackTimer = undefined;
  }

  private ackTimeoutMs(): number {
    return this.options.ackTimeoutMs ?? DEFAULT_ACK_TIMEOUT_MS;
  }

  /** Drop a connection whose oldest unanswered PING is past the timeout; otherwise check again when it will be. */
  private checkAcknowledgement(socket: Socket): void {
    const since = this.oldestOutstandingPingAt;
    if (!this.pongSeen || since === undefined || socket.destroyed) return;
    if (Date.now() - since >= this.ackTimeoutMs()) socket.destroy(new Error('no acknowledgement from the bridge'));
    else this.watchAcknowledgement(socket);
  }

  private requeueUnacknowledged(): void {
    const reports = this.unacked.map((u) => u.report);
    this.unacked = [];
    this.oldestOutstandingPingAt = undefined;
    if (this.state === 'stopped' || reports.length === 0) return;
    this.queue.requeue(reports);
    this.log.info(`Re-sending ${reports.length} unacknowledged reports on the next connection`);
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
