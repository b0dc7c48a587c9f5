import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Logger } from '../../lib/logger.ts';
import { RateLimitedLog } from '../../lib/rate-limited-log.ts';
import { serveConnection, type ConnectionOptions } from './connection.ts';
import type { LineHandler } from './line-handler.ts';
import type { SelfMetrics } from '../self-metrics.ts';

export interface IngestServerOptions extends ConnectionOptions {
  readonly maxConnections: number;
}

/** The agents' TCP listener: accepts connections up to the limit and serves each one. */
export class IngestServer {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly refusals: RateLimitedLog;

  constructor(
    handler: LineHandler,
    private readonly metrics: SelfMetrics,
    private readonly options: IngestServerOptions,
    private readonly log: Logger,
  ) {
    this.refusals = new RateLimitedLog(log);
    this.server = createServer((socket) => this.onConnection(socket, handler));
  }

  listen(host: string, port: number): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host, port }, () => {
        this.server.off('error', reject);
        this.server.on('error', (error) => this.log.error(`Ingest listener error: ${error.message}`));
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  get connectionCount(): number {
    return this.sockets.size;
  }

  /** Stop accepting, close every agent connection, resolve when the listener is closed. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      for (const socket of this.sockets) {
        this.metrics.connectionsClosed.labels('shutdown').inc();
        socket.removeAllListeners('close');
        socket.destroy();
      }
      this.sockets.clear();
      this.metrics.connections.set(0);
    });
  }

  private onConnection(socket: Socket, handler: LineHandler): void {
    if (this.sockets.size >= this.options.maxConnections) {
      this.metrics.connectionsRejected.labels('max_connections').inc();
      this.refusals.warn('max_connections', `Refused agent connection from ${socket.remoteAddress ?? '?'}: ${this.options.maxConnections} connections open (--max-connections)`);
      socket.on('error', () => {});
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    this.metrics.connectionsOpened.inc();
    this.metrics.connections.set(this.sockets.size);
    serveConnection(socket, handler, this.metrics, this.options, (reason) => {
      this.sockets.delete(socket);
      this.metrics.connections.set(this.sockets.size);
      this.metrics.connectionsClosed.labels(reason).inc();
    });
  }
}
