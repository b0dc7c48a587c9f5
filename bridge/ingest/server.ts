import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket, type TlsOptions } from 'node:tls';
import type { Logger } from '../../lib/logger.ts';
import { RateLimitedLog } from '../../lib/rate-limited-log.ts';
import type { SelfMetrics } from '../self-metrics.ts';
import { AgentConnection, type ConnectionOptions } from './connection.ts';
import type { LineHandler } from './line-handler.ts';
import { normaliseAddress, type SourceFilter } from './source-filter.ts';
import { grantFor } from './token-grants.ts';

export interface IngestServerOptions extends ConnectionOptions {
  readonly maxConnections: number;
  readonly maxConnectionsPerSource: number;
  /** An unfinished line older than this closes the connection (slowloris), ms. */
  readonly lineTimeoutMs: number;
  readonly sources: SourceFilter;
}

/**
 * The agents' listeners (plain TCP, and TLS when configured): admission (allowlist, total and
 * per-source limits), then one AgentConnection per socket; a 1 s sweep closes slow senders.
 */
export class IngestServer {
  private readonly servers: Server[] = [];
  private readonly connections = new Set<AgentConnection>();
  private readonly perSource = new Map<string, number>();
  private readonly refusals: RateLimitedLog;
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly handler: LineHandler,
    private readonly metrics: SelfMetrics,
    private readonly options: IngestServerOptions,
    private readonly log: Logger,
  ) {
    this.refusals = new RateLimitedLog(log);
    this.sweeper = setInterval(() => this.closeSlowSenders(), 1000);
    this.sweeper.unref();
  }

  /** Plain TCP listener (protocol v1 as legacy agents and `nc` speak it). */
  listen(host: string, port: number): Promise<AddressInfo> {
    return this.start(createServer((socket) => this.admit(socket, undefined)), host, port);
  }

  /** TLS listener; with `requestCert` the client certificate's CN and DNS names are the nodes it may report. */
  listenTls(host: string, port: number, tls: TlsOptions): Promise<AddressInfo> {
    const server = createTlsServer(tls, (socket: TLSSocket) => {
      const cert = tls.requestCert ? socket.getPeerCertificate() : undefined;
      const names = cert === undefined ? [] : certificateNames(cert.subject?.CN, cert.subjectaltname);
      this.admit(socket, names.length > 0 ? grantFor(`certificate ${names[0]}`, names) : undefined);
    });
    server.on('tlsClientError', (error, socket) => {
      this.metrics.connectionsRejected.labels('tls_handshake').inc();
      this.refusals.warn('tls_handshake', `TLS handshake failed with ${socket.remoteAddress ?? '?'}: ${error.message}`);
    });
    return this.start(server, host, port);
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Stop accepting, close every agent connection, resolve when the listeners are closed. */
  async close(): Promise<void> {
    clearInterval(this.sweeper);
    const closed = this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    for (const c of this.connections) c.close('shutdown');
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

  private admit(socket: Socket, certificateGrant: ReturnType<typeof grantFor> | undefined): void {
    const address = normaliseAddress(socket.remoteAddress ?? '?');
    const refuse = (reason: 'max_connections' | 'max_per_source' | 'source_not_allowed', why: string) => {
      this.metrics.connectionsRejected.labels(reason).inc();
      this.refusals.warn(reason, `Refused agent connection from ${address}: ${why}`);
      socket.on('error', () => {});
      socket.destroy();
    };
    if (!this.options.sources.allows(address)) return refuse('source_not_allowed', 'not in --allow-from');
    if (this.connections.size >= this.options.maxConnections) return refuse('max_connections', `${this.options.maxConnections} connections open (--max-connections)`);
    const fromSource = this.perSource.get(address) ?? 0;
    if (fromSource >= this.options.maxConnectionsPerSource) return refuse('max_per_source', `${fromSource} connections from it (--max-connections-per-source)`);

    this.perSource.set(address, fromSource + 1);
    const connection = new AgentConnection(socket, this.handler, this.metrics, this.options, certificateGrant);
    this.connections.add(connection);
    this.metrics.connectionsOpened.inc();
    this.metrics.connections.set(this.connections.size);
    socket.on('close', () => {
      this.connections.delete(connection);
      const left = (this.perSource.get(address) ?? 1) - 1;
      if (left === 0) this.perSource.delete(address);
      else this.perSource.set(address, left);
      this.metrics.connections.set(this.connections.size);
      this.metrics.connectionsClosed.labels(connection.closeReason).inc();
    });
  }

  private closeSlowSenders(): void {
    const cutoff = Date.now() - this.options.lineTimeoutMs;
    for (const c of this.connections) {
      if (c.partialSince !== undefined && c.partialSince < cutoff) {
        this.refusals.warn('slow', `Closed agent connection from ${c.source}: a line unfinished for more than ${this.options.lineTimeoutMs / 1000} s (--line-timeout)`);
        c.close('slow');
      }
    }
  }
}

function certificateNames(cn: string | string[] | undefined, altNames: string | undefined): string[] {
  const names = new Set<string>();
  for (const n of Array.isArray(cn) ? cn : cn === undefined ? [] : [cn]) names.add(n);
  for (const part of (altNames ?? '').split(',')) {
    const m = /^\s*DNS:(.+)$/.exec(part);
    if (m !== null) names.add(m[1]!.trim());
  }
  return [...names];
}
