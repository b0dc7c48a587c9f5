import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket, type TlsOptions } from 'node:tls';
import type { Logger } from '../../lib/logger.ts';
import { RateLimitedLog } from '../../lib/rate-limited-log.ts';
import type { SelfMetrics } from '../self-metrics.ts';
import { AgentConnection, type Admission, type ConnectionContext, type ConnectionOptions } from './connection.ts';
import type { LineHandler } from './line-handler.ts';
import { normaliseAddress, type SourceFilter } from './source-filter.ts';
import { literalGrant, type Grant } from './token-grants.ts';
import { TURN_LINES, TURN_MS, TurnBudget } from './turn-budget.ts';

export interface IngestServerOptions extends ConnectionOptions {
  readonly maxConnections: number;
  readonly maxConnectionsPerSource: number;
  /** `--auth required`: connections not yet authenticated, per source address. */
  readonly maxUnauthenticatedPerSource: number;
  /** An unfinished line older than this closes the connection (slowloris), ms. */
  readonly lineTimeoutMs: number;
  /** A TLS handshake not finished this long after accept closes the connection, ms. */
  readonly tlsHandshakeTimeoutMs: number;
  /** At shutdown, how long to read what connected agents already sent, ms. */
  readonly shutdownGraceMs: number;
  readonly sources: SourceFilter;
}

type Refusal = 'max_connections' | 'max_per_source' | 'source_not_allowed' | 'max_unauthenticated';

/** What a Slot updates in its server when it is released (IngestServer's own maps). */
interface SlotOwner {
  /** Accepted sockets not yet released, TLS handshakes in progress included (--max-connections). */
  accepted: number;
  readonly perSource: Map<string, number>;
  readonly unauthenticated: Map<string, number>;
  connectionClosed(connection: AgentConnection): void;
}

/**
 * One accepted TCP socket's share of the limits, from accept (before any TLS) to close. An object
 * with methods, found on the socket by the shared listeners below: no closures per connection (their
 * contexts were a few hundred bytes each). Once the connection is open, it tells the slot of its
 * socket's close itself: a plain socket has no listener of the slot's.
 */
class Slot implements Admission {
  private pendingAuth: boolean;
  private released = false;
  /** The connection, once open; its socket's close reports it to the owner. */
  connection: AgentConnection | undefined;

  constructor(
    private readonly owner: SlotOwner,
    private readonly socket: Socket,
    private readonly address: string,
    countedUnauthenticated: boolean,
  ) {
    this.pendingAuth = countedUnauthenticated;
  }

  /** The connection authenticated: it no longer counts as unauthenticated. */
  authenticated(): void {
    if (!this.pendingAuth) return;
    this.pendingAuth = false;
    decrement(this.owner.unauthenticated, this.address);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.authenticated();
    this.owner.accepted -= 1;
    decrement(this.owner.perSource, this.address);
  }

  /** The bridge stops: a TLS handshake still in progress is cut off. */
  destroy(): void {
    this.socket.destroy();
  }

  /** The open connection's socket closed (the TLS socket for TLS). */
  closed(): void {
    this.release();
    if (this.connection !== undefined) this.owner.connectionClosed(this.connection);
  }
}

const SLOT = Symbol('obsmon.slot');
type SlottedSocket = Socket & { [SLOT]?: Slot };
/** ECONNRESET and friends: the close that follows releases the slot. */
function ignoreError(): void {}
function releaseSlot(this: Socket): void {
  (this as SlottedSocket)[SLOT]?.release();
}
/**
 * Until its connection opens, an accepted socket's errors are ignored and its close releases its slot:
 * a TLS socket's accepted TCP socket, which may close during the handshake. A plain socket's connection
 * opens at once and is the only listener (one function per event, not an array of them).
 */
function guard(socket: Socket, slot: Slot): void {
  (socket as SlottedSocket)[SLOT] = slot;
  socket.on('error', ignoreError);
  socket.on('close', releaseSlot);
}

/**
 * The agents' listeners (plain TCP, and TLS when configured): admission at accept — allowlist,
 * total, per-source and unauthenticated-per-source limits, before any TLS byte is read — then one
 * AgentConnection per socket; a 1 s sweep closes idle connections and slow senders.
 */
export class IngestServer {
  private readonly servers: Server[] = [];
  private readonly connections = new Set<AgentConnection>();
  private readonly perSource = new Map<string, number>();
  private readonly unauthenticated = new Map<string, number>();
  /**
   * TLS sockets are matched to their accepted TCP socket by peer address and port: the accepted sockets
   * that are no connection yet (a count and this map, not a set of every socket: ~33 bytes a connection).
   */
  private readonly handshaking = new Map<string, Slot>();
  private readonly refusals: RateLimitedLog;
  /** Runs only while a connection is open: an idle bridge wakes for nothing (docs/benchmarks.md, at rest). */
  private sweeper: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly turn: TurnBudget;
  /** What every Slot of this server updates: one object for all of them. */
  private readonly slotOwner: SlotOwner;
  /** What every connection of this server shares: one object for all of them. */
  private readonly context: ConnectionContext;

  constructor(
    handler: LineHandler,
    private readonly metrics: SelfMetrics,
    private readonly options: IngestServerOptions,
    private readonly log: Logger,
  ) {
    this.refusals = new RateLimitedLog(log);
    this.turn = new TurnBudget({
      lines: TURN_LINES,
      ms: TURN_MS,
      onYield: () => metrics.ingestTurnYields.inc(),
    });
    this.slotOwner = {
      accepted: 0,
      perSource: this.perSource,
      unauthenticated: this.unauthenticated,
      connectionClosed: (connection) => this.connectionClosed(connection),
    };
    this.context = { handler, metrics, options, turn: this.turn };
  }

  /** Plain TCP listener (protocol v1 as legacy agents and `nc` speak it). */
  listen(host: string, port: number): Promise<AddressInfo> {
    // Half-open: an agent's FIN must not close our side before its held lines are handled.
    const server = createServer({ allowHalfOpen: true }, (socket) => {
      const slot = this.admit(socket);
      if (slot !== undefined) this.open(socket, slot, undefined);
    });
    return this.start(server, host, port);
  }

  /**
   * TLS listener. A plain TCP server accepts and applies the limits; only admitted sockets are
   * handed to the TLS server (its documented 'connection' injection), with a short handshake
   * deadline. With `requestCert` the client certificate's CN and DNS names are the nodes it may report.
   */
  listenTls(host: string, port: number, tls: TlsOptions): Promise<AddressInfo> {
    const tlsServer = createTlsServer(
      { ...tls, allowHalfOpen: true, handshakeTimeout: this.options.tlsHandshakeTimeoutMs },
      (socket: TLSSocket) => {
        const slot = this.handshaking.get(peerKey(socket));
        this.handshaking.delete(peerKey(socket));
        if (slot === undefined) return socket.destroy();
        const cert = tls.requestCert ? socket.getPeerCertificate() : undefined;
        const names = cert === undefined ? [] : certificateNames(cert.subject?.CN, cert.subjectaltname);
        this.open(socket, slot, names.length > 0 ? literalGrant(`certificate ${names[0]}`, names) : undefined);
      },
    );
    tlsServer.on('tlsClientError', (error: Error & { code?: string }, socket) => {
      // A listener here means Node leaves the socket to us: a timed-out handshake would stay open.
      socket.destroy();
      const timedOut = error.code === 'ERR_TLS_HANDSHAKE_TIMEOUT';
      this.metrics.connectionsRejected.labels(timedOut ? 'tls_handshake_timeout' : 'tls_handshake').inc();
      this.refusals.warn(
        timedOut ? 'tls_handshake_timeout' : 'tls_handshake',
        timedOut
          ? `TLS handshake with ${socket.remoteAddress ?? '?'} not finished within ${this.options.tlsHandshakeTimeoutMs / 1000} s (--tls-handshake-timeout)`
          : `TLS handshake failed with ${socket.remoteAddress ?? '?'}: ${error.message}`,
      );
    });
    const server = createServer({ allowHalfOpen: true }, (raw) => {
      const slot = this.admit(raw);
      if (slot === undefined) return;
      guard(raw, slot);
      const key = peerKey(raw);
      this.handshaking.set(key, slot);
      // Once per TLS connection (not per plain one): a closure here is no per-connection cost that matters.
      raw.on('close', () => {
        if (this.handshaking.get(key) === slot) this.handshaking.delete(key);
      });
      tlsServer.emit('connection', raw);
    });
    return this.start(server, host, port);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /**
   * Stop accepting; read and handle what connected agents already sent (at most
   * `shutdownGraceMs`), close every connection, resolve when the listeners are closed.
   */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    const closed = this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    await Promise.all([...this.connections].map((c) => c.drain(this.options.shutdownGraceMs)));
    // What is left has not finished its TLS handshake: nothing of it was read.
    for (const slot of this.handshaking.values()) slot.destroy();
    await Promise.all(closed);
  }

  private start(server: Server, host: string, port: number): Promise<AddressInfo> {
    this.servers.push(server);
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port }, () => {
        server.off('error', reject);
        server.on('error', (error) => this.log.error(`Ingest listener error: ${error.message}`));
        resolve(server.address() as AddressInfo);
      });
    });
  }

  /** The limits, at accept; refused sockets are closed at once without a reply. */
  private admit(socket: Socket): Slot | undefined {
    const address = normaliseAddress(socket.remoteAddress ?? '?');
    const refuse = (reason: Refusal, why: string): undefined => {
      this.metrics.connectionsRejected.labels(reason).inc();
      this.refusals.warn(reason, `Refused agent connection from ${address}: ${why}`);
      socket.on('error', ignoreError);
      socket.destroy();
      return undefined;
    };
    if (!this.options.sources.allows(address)) return refuse('source_not_allowed', 'not in --allow-from');
    if (this.slotOwner.accepted >= this.options.maxConnections)
      return refuse('max_connections', `${this.options.maxConnections} connections open (--max-connections)`);
    const fromSource = this.perSource.get(address) ?? 0;
    if (fromSource >= this.options.maxConnectionsPerSource)
      return refuse('max_per_source', `${fromSource} connections from it (--max-connections-per-source)`);
    const counted = this.options.auth === 'required';
    const unauthenticated = this.unauthenticated.get(address) ?? 0;
    if (counted && unauthenticated >= this.options.maxUnauthenticatedPerSource) {
      return refuse(
        'max_unauthenticated',
        `${unauthenticated} connections from it not authenticated yet (--max-unauthenticated-per-source)`,
      );
    }

    this.slotOwner.accepted += 1;
    this.perSource.set(address, fromSource + 1);
    if (counted) this.unauthenticated.set(address, unauthenticated + 1);
    return new Slot(this.slotOwner, socket, address, counted);
  }

  private open(socket: Socket, slot: Slot, certificateGrant: Grant | undefined): void {
    if (certificateGrant !== undefined) slot.authenticated();
    const connection = new AgentConnection(socket, this.context, certificateGrant, slot);
    slot.connection = connection;
    this.connections.add(connection);
    this.metrics.connectionsOpened.inc();
    this.metrics.connections.set(this.connections.size);
    if (this.options.sweepTick !== undefined) this.options.sweepTick.wake();
    else if (this.sweeper === undefined && !this.closed) {
      this.sweeper = setInterval(() => this.sweep(), 1000);
      this.sweeper.unref();
    }
  }

  private connectionClosed(connection: AgentConnection): void {
    this.connections.delete(connection);
    this.metrics.connections.set(this.connections.size);
    if (this.connections.size === 0) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
    this.metrics.connectionsClosed.labels(connection.closeReason).inc();
  }

  /**
   * Every second while any connection is open: close those silent for longer than idleTimeoutMs
   * (instead of a socket timeout, which Node re-arms on every read) and those whose unfinished line is
   * older than lineTimeoutMs.
   */
  sweep(): void {
    const now = Date.now();
    const cutoff = now - this.options.lineTimeoutMs;
    const idleBefore = now - this.options.idleTimeoutMs;
    for (const c of this.connections) {
      if (c.lastDataAt < idleBefore) {
        c.close('idle');
        continue;
      }
      if (c.partialSince !== undefined && c.partialSince < cutoff && !c.paused) {
        this.refusals.warn(
          'slow',
          `Closed agent connection from ${c.source}: a line unfinished for more than ${this.options.lineTimeoutMs / 1000} s (--line-timeout)`,
        );
        c.close('slow');
      }
    }
  }
}

function decrement(counts: Map<string, number>, key: string): void {
  const left = (counts.get(key) ?? 1) - 1;
  if (left <= 0) counts.delete(key);
  else counts.set(key, left);
}

const peerKey = (socket: Socket) => `${socket.remoteAddress ?? '?'}|${socket.remotePort ?? '?'}`;

/**
 * The names a client certificate grants, as literal node names: a `*` in a certificate is a
 * character, never a pattern (patterns come only from the bridge's own token file).
 */
function certificateNames(cn: string | string[] | undefined, altNames: string | undefined): string[] {
  const names = new Set<string>();
  for (const n of Array.isArray(cn) ? cn : cn === undefined ? [] : [cn]) names.add(n);
  for (const part of (altNames ?? '').split(',')) {
    const m = /^\s*DNS:(.+)$/.exec(part);
    if (m !== null) names.add(m[1]!.trim());
  }
  return [...names];
}
