import { createServer, type AddressInfo, type Server } from 'node:net';
import type { Logger } from '../lib/logger.ts';
import type { DeviceControl } from './commands/command.ts';
import { ClientSession, type AuthBroker } from './client-session.ts';
import { LineConnection } from './line-connection.ts';

/** Client connections held at once; more are refused (a monitor per observer, a few scripts). */
export const MAX_CLIENTS = 256;

/**
 * The device's own port: every client that connects gets `E`+`V` of all values at once
 * (docs/rts2-wire.md §4, the only time it learns names, types and flags), then authenticates through centrald.
 */
export class ClientServer {
  private readonly server: Server;
  private readonly sessions = new Set<ClientSession>();

  constructor(
    private readonly device: DeviceControl,
    private readonly broker: AuthBroker,
    private readonly requireAuth: boolean,
    private readonly log: Logger,
  ) {
    this.server = createServer((socket) => {
      if (this.sessions.size >= MAX_CLIENTS) {
        socket.destroy();
        return;
      }
      const label = `client ${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
      const conn = new LineConnection(socket, (line) => session.onLine(line), this.log, label);
      const session = new ClientSession(conn, this.device, this.broker, this.requireAuth);
      this.sessions.add(session);
      socket.once('close', () => this.sessions.delete(session));
      conn.send(...this.device.table.metaLines());
    });
  }

  get clientCount(): number {
    return this.sessions.size;
  }

  listen(host: string, port: number): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host, port }, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /** Value and state lines for every connected client, authorised or not (as `Daemon::sendValueAll`). */
  broadcast(lines: readonly string[]): void {
    if (lines.length === 0) return;
    for (const s of this.sessions) s.conn.send(...lines);
  }

  authorizationResult(clientId: number, authorized: boolean): void {
    for (const s of this.sessions) if (s.waitingFor === clientId) s.authorizationResult(authorized);
  }

  close(): Promise<void> {
    for (const s of this.sessions) s.conn.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
