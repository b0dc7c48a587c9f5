import type { Socket } from 'node:net';
import { LineSplitter, type LineSink } from '../../protocol/line-splitter.ts';
import { encodeErr, encodePong, parseAgent, parseAuth, parsePing, type ErrReason } from '../../protocol/session.ts';
import type { SelfMetrics } from '../self-metrics.ts';
import { LineBudget } from './line-budget.ts';
import type { LineHandler } from './line-handler.ts';
import type { Grant, TokenGrants } from './token-grants.ts';
import type { TurnBudget, TurnWaiter } from './turn-budget.ts';

export type AuthMode = 'off' | 'optional' | 'required';
export type CloseReason = 'peer' | 'idle' | 'error' | 'slow' | 'unauthenticated' | 'auth_timeout' | 'shutdown';

export interface ConnectionOptions {
  readonly maxLineBytes: number;
  readonly idleTimeoutMs: number;
  readonly errReplies: boolean;
  readonly maxLinesPerSecond: number;
  readonly auth: AuthMode;
  readonly tokens: TokenGrants | undefined;
  /** `--auth required`: a connection that has not authenticated this long after connecting is closed, ms. */
  readonly authTimeoutMs: number;
  /** Resolves when everything accepted so far is stored or spooled; PONG waits for it. */
  readonly durable?: () => Promise<void>;
  /**
   * The bridge's tick (bridge/state/bridge-tick.ts) runs IngestServer.sweep instead of the server's
   * own 1 s timer (one wake-up a second fewer): woken when the first connection opens, so it runs
   * every second, and given each packet's arrival (`ride`), so a due run goes with it rather than
   * with a wake-up of its own.
   */
  readonly sweepTick?: { wake(): void; ride?(nowMs: number): void };
}

/** What every connection of the listeners shares: one object, so a connection holds one field for it, not four. */
export interface ConnectionContext {
  readonly handler: LineHandler;
  readonly metrics: SelfMetrics;
  readonly options: ConnectionOptions;
  /** The per-turn line budget every connection of the listeners shares. */
  readonly turn: TurnBudget;
}

/** The listeners' share of limits held for the connection (bridge/ingest/server.ts's Slot). */
export interface Admission {
  /** Once, when the connection authenticates (by AUTH; a certificate counts from the start). */
  authenticated(): void;
  /** Once, after the connection handled its socket's close. */
  closed(): void;
}

// An agent that never reads must not make the bridge buffer replies for it.
const MAX_UNSENT_REPLY_BYTES = 4096;
const MAX_REPLIES_PER_SECOND = 10;
// At shutdown a connection counts as drained once nothing has arrived for this long.
const DRAIN_QUIET_MS = 100;
// Closing a paused connection: how long what it already sent may take to arrive and be counted.
const CLOSE_COUNT_MAX_MS = 1000;
// Only a line that starts with `P` can be a PING: the test spares every other line the regular expression.
const P = 0x50;
// Likewise only a line that starts with `A` can be an AGENT.
const A = 0x41;

// The connection's flags (AgentConnection.flags).
const FIRST_LINE = 1;
/** The bridge decided to close: lines that arrive from now on are only counted. */
const CLOSING = 2;
/** Shutdown: everything already sent is handled without the connection's own line budget. */
const DRAINING = 4;
const PEER_ENDED = 8;

const CONNECTION = Symbol('obsmon.connection');
type OwnedSocket = Socket & { [CONNECTION]: AgentConnection };
const connectionOf = (socket: Socket) => (socket as OwnedSocket)[CONNECTION];
function onData(this: Socket, chunk: Buffer): void {
  connectionOf(this).data(chunk);
}
function onEnd(this: Socket): void {
  connectionOf(this).ended();
}
function onError(this: Socket): void {
  connectionOf(this).failed();
}
function onClose(this: Socket): void {
  connectionOf(this).closed();
}

/**
 * One agent connection: framing, optional `AUTH <token>` first line, per-line handling, ERR replies,
 * two budgets enforced by pausing (its own lines per second, and the lines per event-loop turn all
 * connections share), and the age of an unfinished line (slowloris).
 *
 * Data path: each chunk is framed in place (the connection is the splitter's sink: no closure and
 * no clock read per line). When a budget runs out the splitter stops after the current line and the
 * connection keeps the chunk and the offset to go on from, with reading paused; nothing is copied,
 * dropped or reordered, and every line it will not handle because the bridge closes is counted.
 */
export class AgentConnection implements LineSink, TurnWaiter {
  readonly source: string;
  private readonly splitter: LineSplitter;
  private readonly budget: LineBudget;
  private grant: Grant | undefined;
  /** The connection's `AGENT <name>/<version>` token (at most 64 characters), recorded on each node it reports. */
  private agent: string | undefined;
  /** FIRST_LINE, CLOSING, DRAINING, PEER_ENDED: one small integer, not four fields (8 bytes each). */
  private flags = FIRST_LINE;
  private replyWindowStart = 0;
  private repliesInWindow = 0;
  private resumeTimer: NodeJS.Timeout | undefined;
  private authTimer: NodeJS.Timeout | undefined;
  /** The chunk a budget stopped in, read up to `heldAt`; reading is paused while it is held. */
  private held: Buffer | undefined;
  private heldAt = 0;
  /** Complete lines that arrived after the bridge decided to close: counted with the held ones. */
  private lostAfterClose = 0;
  private lastData = Date.now();
  closeReason: CloseReason = 'peer';
  /** When the current unfinished line started (ms), or undefined between lines. */
  partialSince: number | undefined;

  constructor(
    readonly socket: Socket,
    private readonly context: ConnectionContext,
    /** Set when a verified client certificate already names the nodes this peer may report. */
    certificateGrant: Grant | undefined,
    /** Told when the connection authenticates and when its socket closed. */
    private readonly admission?: Admission,
  ) {
    const options = context.options;
    // Joined, not a template: that makes a rope of three strings (~90 bytes per connection), this one flat string.
    this.source = [socket.remoteAddress ?? '?', socket.remotePort ?? '?'].join(':');
    this.splitter = new LineSplitter(options.maxLineBytes);
    this.budget = new LineBudget(options.maxLinesPerSecond, this.lastData);
    this.grant = certificateGrant;

    socket.setNoDelay(true);
    // No socket.setTimeout: Node refreshes that timer on every read (a call into libuv for the time and
    // a move in the timer list per packet); IngestServer.sweep closes idle connections from lastDataAt
    // instead, once a second from the bridge's tick, which runs anyway while an agent is connected.
    // The socket's listeners are shared functions that find the connection on the socket: a closure
    // each (and the context they would share) is a few hundred bytes per connection.
    (socket as OwnedSocket)[CONNECTION] = this;
    if (options.auth === 'required' && certificateGrant === undefined) {
      // A silent connection must not hold a slot until --idle-timeout (docs/security.md).
      this.authTimer = setTimeout(() => {
        this.context.handler.logRefusal(
          'auth_timeout',
          `Closed agent connection from ${this.source}: no AUTH line within ${options.authTimeoutMs / 1000} s (--auth-timeout)`,
        );
        this.close('auth_timeout');
      }, options.authTimeoutMs);
    }
    socket.on('data', onData);
    socket.on('end', onEnd);
    socket.on('error', onError);
    socket.on('close', onClose);
  }

  /** Socket `data`: frame the chunk. */
  data(chunk: Buffer): void {
    const now = Date.now();
    this.lastData = now;
    this.feed(chunk, 0, now);
    this.context.options.sweepTick?.ride?.(now);
  }

  /**
   * Socket `end`: a half-closed agent (`nc -N`, shutdown(SHUT_WR)) has sent everything. The listeners
   * are half-open, so our side stays open until the held lines are handled (at the budget's pace).
   */
  ended(): void {
    this.peerEnded = true;
    if (this.held === undefined) this.finishEnded();
  }

  /** Socket `error`: ECONNRESET and friends are normal for agents that vanish; the close counter records them. */
  failed(): void {
    if (this.closeReason === 'peer') this.closeReason = 'error';
  }

  /**
   * Socket `close`: lines already read from a peer that then reset are still handled (the timer goes
   * on); when the bridge itself closed the connection they are counted as unprocessed. Then the
   * admission is told: the socket's one `close` listener is this connection's (an array of three
   * listeners and its backing store were ~70 bytes per connection).
   */
  closed(): void {
    clearTimeout(this.authTimer);
    if (this.closing) this.discardHeld();
    this.admission?.closed();
  }

  /**
   * When the agent last sent anything (ms, Date.now()): --idle-timeout counts from here, also while
   * the connection is paused for a budget (as a socket timeout would: nothing is read meanwhile).
   */
  get lastDataAt(): number {
    return this.lastData;
  }

  private get firstLine(): boolean {
    return (this.flags & FIRST_LINE) !== 0;
  }
  private set firstLine(on: boolean) {
    this.flags = on ? this.flags | FIRST_LINE : this.flags & ~FIRST_LINE;
  }
  private get closing(): boolean {
    return (this.flags & CLOSING) !== 0;
  }
  private set closing(on: boolean) {
    this.flags = on ? this.flags | CLOSING : this.flags & ~CLOSING;
  }
  private get draining(): boolean {
    return (this.flags & DRAINING) !== 0;
  }
  private set draining(on: boolean) {
    this.flags = on ? this.flags | DRAINING : this.flags & ~DRAINING;
  }
  private get peerEnded(): boolean {
    return (this.flags & PEER_ENDED) !== 0;
  }
  private set peerEnded(on: boolean) {
    this.flags = on ? this.flags | PEER_ENDED : this.flags & ~PEER_ENDED;
  }

  /** Paused for a line budget: not the agent's fault if its line stays unfinished meanwhile. */
  get paused(): boolean {
    return this.held !== undefined;
  }

  close(reason: CloseReason): void {
    if (this.closing || this.socket.destroyed) return;
    this.closing = true;
    this.closeReason = reason;
    const wasHeld = this.held !== undefined;
    this.countHeld();
    if (!wasHeld || this.peerEnded) {
      this.socket.destroy();
      return;
    }
    // Paused with lines held: what the agent already sent waits in the socket's buffer or the kernel's.
    // Read it (without handling it: line() counts it) until the line is quiet, so every line that will
    // not be handled is counted, then close. Bounded: an agent still sending is cut off after a second.
    this.socket.resume();
    this.lastData = Date.now();
    const deadline = Date.now() + CLOSE_COUNT_MAX_MS;
    const check = setInterval(() => {
      if (!this.socket.destroyed && Date.now() - this.lastData < DRAIN_QUIET_MS && Date.now() < deadline) return;
      clearInterval(check);
      this.socket.destroy();
    }, DRAIN_QUIET_MS / 4);
  }

  /**
   * Shutdown: handle everything the agent already sent — held lines and the socket's buffered data,
   * without its own line budget (the turn budget still lets HTTP answer) — until the connection is
   * quiet or `graceMs` passed, then close it.
   * A plain TCP connection is reset, so an agent that does not read learns at its next write that
   * the connection is gone (and reconnects) instead of writing into a closed socket.
   */
  drain(graceMs: number): Promise<void> {
    // Already closing (after an ERR reply): let that reply go out as it was going to.
    if (this.socket.destroyed || this.closing) return Promise.resolve();
    this.draining = true;
    if (this.held !== undefined && this.resumeTimer !== undefined) this.release();
    else if (this.held === undefined && !this.peerEnded) this.socket.resume();
    // Give what is in flight one quiet period to arrive.
    this.lastData = Date.now();
    return new Promise((resolve) => {
      const deadline = Date.now() + graceMs;
      const check = setInterval(() => {
        const quiet = this.held === undefined && (this.peerEnded || Date.now() - this.lastData >= DRAIN_QUIET_MS);
        if (!this.socket.destroyed && !quiet && Date.now() < deadline) return;
        clearInterval(check);
        if (!quiet && !this.socket.destroyed) {
          // What it sends from now on, or what is still unread in the kernel, goes with the reset.
          this.context.handler.logRefusal(
            'shutdown_grace',
            `Agent ${this.source} was still sending after --shutdown-grace ${graceMs / 1000} s; closing its connection`,
          );
        }
        this.closeAfterDrain();
        resolve();
      }, DRAIN_QUIET_MS / 4);
    });
  }

  /** LineSink: one complete line of the chunk being framed. */
  line(text: string): void {
    this.partialSince = undefined;
    if (this.closing) {
      if (text !== '' && text !== '\r') this.lostAfterClose += 1;
      return;
    }
    this.process(text);
    // After an ERR that closes, the rest of the chunk is only counted.
    if (this.closing) return;
    // Both budgets are charged for every line; either one spent stops framing after this line.
    const withinOwn = this.draining || this.budget.take();
    if (!this.context.turn.take() || !withinOwn) this.splitter.stop();
  }

  /** LineSink: a line over --max-line-bytes was discarded. */
  overlong(bytes: number): void {
    // Counted as a line even while closing; partialSince stays, so a line trickled on past the
    // limit is still an unfinished line for --line-timeout.
    this.reply(this.context.handler.overlong(bytes, this.source));
  }

  /** TurnWaiter: this connection's turn came. */
  resumeTurn(): void {
    this.release();
  }

  /** Frame `chunk` from `from` on, as far as the budgets allow; hold the rest and pause reading. */
  private feed(chunk: Buffer, from: number, now: number): void {
    let at = from;
    if (!this.closing) {
      this.budget.refill(now);
      if (!this.mayRead()) return this.hold(chunk, at);
    }
    // Stops early only for a budget: after a close line() just counts, to the chunk's end.
    at = this.splitter.push(chunk, this, at);
    if (at < chunk.length) return this.hold(chunk, at);
    if (this.splitter.bufferedBytes > 0) this.partialSince ??= now;
  }

  private mayRead(): boolean {
    const withinTurn = this.context.turn.ready();
    return (this.draining || this.budget.ready) && withinTurn;
  }

  /** A budget ran out at `at`: keep the chunk, stop reading, and resume when the budget allows. */
  private hold(chunk: Buffer, at: number): void {
    this.held = chunk;
    this.heldAt = at;
    this.socket.pause();
    if (this.draining || this.budget.ready) {
      // The turn's budget: the event loop serves HTTP and timers, then this connection goes on.
      this.context.turn.wait(this);
      return;
    }
    this.context.metrics.paused.inc();
    this.context.handler.logRefusal(
      'paused',
      `Slowing agent ${this.source}: over --max-lines-per-second ${this.context.options.maxLinesPerSecond} (paused, nothing dropped)`,
    );
    this.resumeTimer = setTimeout(() => this.release(), this.budget.waitMs);
  }

  /** Go on with the held chunk (its budget allowing), then read again. */
  private release(): void {
    const chunk = this.takeHeld();
    if (chunk === undefined) return;
    // Closed meanwhile (a close() counts what is held): nothing more is handled.
    if (this.closing) return;
    this.feed(chunk, this.heldAt, Date.now());
    if (this.held !== undefined || this.socket.destroyed || this.closing) return;
    if (this.peerEnded) this.finishEnded();
    else this.socket.resume();
  }

  /** The peer half-closed and everything it sent is framed: its last line without `\n`, then our side. */
  private finishEnded(): void {
    this.splitter.end(this);
    if (!this.socket.destroyed && !this.closing) this.socket.end();
  }

  private closeAfterDrain(): void {
    if (this.socket.destroyed) return;
    this.closing = true;
    this.closeReason = 'shutdown';
    this.discardHeld();
    if (this.peerEnded) {
      this.socket.end();
      this.socket.destroySoon();
    } else if (!('encrypted' in this.socket)) {
      this.socket.resetAndDestroy();
    } else {
      this.socket.destroy();
    }
  }

  /** The bridge is closing: the held chunk's complete lines become lines not handled (counted). */
  private countHeld(): void {
    const chunk = this.takeHeld();
    if (chunk !== undefined) this.splitter.push(chunk, this, this.heldAt);
  }

  /** The held chunk, if any, no longer waiting for either budget. */
  private takeHeld(): Buffer | undefined {
    clearTimeout(this.resumeTimer);
    this.resumeTimer = undefined;
    this.context.turn.cancel(this);
    const chunk = this.held;
    this.held = undefined;
    return chunk;
  }

  /** Lines read but not handled because the bridge closed the connection: counted and logged. */
  private discardHeld(): void {
    this.countHeld();
    const lost = this.lostAfterClose;
    this.lostAfterClose = 0;
    if (lost === 0) return;
    this.context.metrics.unprocessedLines.inc(lost);
    this.context.handler.logRefusal(
      'unprocessed',
      `${lost} lines from ${this.source} were not handled: connection closed by the bridge (${this.closeReason})`,
    );
  }

  private process(text: string): void {
    // `PING <token>` -> `PONG <token>`: lines are handled in order, so the answer tells an agent that
    // everything it wrote before the PING has been stored (docs/protocol.md, acknowledgement).
    const ping = text.charCodeAt(0) === P ? parsePing(text) : undefined;
    if (ping !== undefined) {
      // PONG only once the lines before it are in the database or the spool: then an agent's
      // "acknowledged" means "survives a bridge SIGKILL" (within the spool's fsync interval).
      // Promises resolve in order, so PONGs keep the order of their PINGs.
      const pong = encodePong(ping);
      // No PONG when securing failed: the agent's acknowledgement timeout then makes it re-send.
      (this.context.options.durable?.() ?? Promise.resolve()).then(
        () => {
          if (!this.socket.destroyed && this.socket.writableLength <= MAX_UNSENT_REPLY_BYTES) this.socket.write(pong);
        },
        () => {},
      );
      return;
    }
    // AGENT: once per connection, before or after AUTH (it does not take AUTH's first-line place).
    const agent = text.charCodeAt(0) === A ? parseAgent(text) : undefined;
    if (agent !== undefined) {
      if (this.agent === undefined) {
        this.agent = agent;
        return;
      }
      return this.reply(this.context.handler.refuse('malformed', `second AGENT line (from ${this.source})`));
    }
    const first = this.firstLine && text !== '' && text !== '\r';
    if (first) this.firstLine = false;
    // AUTH is a first-line control (docs/protocol.md section 9); anywhere else it is not a report
    // and the decoder refuses it like any other stray control line.
    const auth = first ? parseAuth(text) : undefined;
    if (auth !== undefined) return this.authenticate(auth);
    const { handler, metrics, options } = this.context;
    if (first && options.auth === 'required' && this.grant === undefined) {
      this.reply(handler.refuse('unauthenticated', `first line is not AUTH <token> (from ${this.source})`));
      metrics.connectionsRejected.labels('unauthenticated').inc();
      return this.endAfterReply('unauthenticated');
    }
    this.reply(handler.handle(text, this.source, this.grant, this.agent));
  }

  private authenticate(token: string): void {
    // With auth off an AUTH line is ignored, so agents can be given tokens before auth is switched on.
    const { handler, metrics, options } = this.context;
    if (options.auth === 'off') return;
    const grant = options.tokens?.lookup(token);
    if (grant === undefined) {
      this.reply('bad_token');
      metrics.connectionsRejected.labels('bad_token').inc();
      handler.logRefusal('bad_token', `Refused agent connection from ${this.source}: unknown token`);
      return this.endAfterReply('unauthenticated');
    }
    this.grant = grant;
    clearTimeout(this.authTimer);
    this.admission?.authenticated();
  }

  /** Let the ERR line go out, then close. */
  private endAfterReply(reason: CloseReason): void {
    this.closing = true;
    this.closeReason = reason;
    clearTimeout(this.authTimer);
    this.socket.end();
    this.socket.destroySoon();
  }

  private reply(reason: ErrReason | undefined): void {
    if (reason === undefined || !this.context.options.errReplies || this.socket.destroyed) return;
    const now = Date.now();
    if (now - this.replyWindowStart >= 1000) {
      this.replyWindowStart = now;
      this.repliesInWindow = 0;
    }
    if (this.repliesInWindow >= MAX_REPLIES_PER_SECOND || this.socket.writableLength > MAX_UNSENT_REPLY_BYTES) {
      this.context.metrics.errRepliesSkipped.inc();
      return;
    }
    this.repliesInWindow += 1;
    this.socket.write(encodeErr(reason));
  }
}
