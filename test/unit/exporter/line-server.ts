import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { LineSplitter } from '../../../protocol/line-splitter.ts';

/**
 * A real TCP server on 127.0.0.1 that records every line it receives, for sender and agent tests.
 * Like a bridge it answers `PING <n>` with `PONG <n>` (unless `answerPings` is off); pings are
 * counted, not recorded as lines; `AGENT` lines are recorded in `agents`.
 */
export class LineServer {
  readonly lines: string[] = [];
  pings = 0;
  /** `AGENT` lines, one per connection from obsmon exporter: kept apart from the report lines. */
  readonly agents: string[] = [];
  answerPings = true;
  readonly sockets = new Set<Socket>();
  connections = 0;
  /** Called for every line; may write back or destroy the socket. */
  onLine: (line: string, socket: Socket) => void = () => {};

  private constructor(private readonly server: Server) {}

  static async start(port = 0): Promise<LineServer> {
    let self: LineServer | undefined;
    const server = createServer((socket) => self!.accept(socket));
    self = new LineServer(server);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return self;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  private accept(socket: Socket): void {
    this.connections += 1;
    this.sockets.add(socket);
    const splitter = new LineSplitter(1 << 20);
    const sink = {
      line: (l: string) => {
        if (l.startsWith('PING ')) {
          this.pings += 1;
          if (this.answerPings) socket.write(`PONG ${l.slice(5)}\n`);
          return;
        }
        if (l.startsWith('AGENT ')) {
          this.agents.push(l.slice(6));
          return;
        }
        this.lines.push(l);
        this.onLine(l, socket);
      },
      overlong: () => {},
    };
    socket.on('data', (chunk: Buffer) => splitter.push(chunk, sink));
    socket.on('end', () => socket.end());
    socket.on('error', () => {});
    socket.on('close', () => this.sockets.delete(socket));
  }

  /** Cut every open connection (the agent sees a reset or EOF). */
  dropConnections(): void {
    for (const s of this.sockets) s.destroy();
  }

  async stop(): Promise<void> {
    this.dropConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
