import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP relay between agents and a bridge on 127.0.0.1 whose link the test can cut: `cut()` resets
 * every relayed connection and stops listening (new connections are refused), `restore()` listens
 * again on the same port. When the bridge side closes, the agent side is closed too.
 */
export class LinkProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  private constructor(
    readonly port: number,
    private readonly targetPort: number,
  ) {}

  static async start(targetPort: number): Promise<LinkProxy> {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as { port: number }).port;
    await new Promise((resolve) => probe.close(resolve));
    const proxy = new LinkProxy(port, targetPort);
    await proxy.restore();
    return proxy;
  }

  async cut(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.resetAndDestroy();
    this.sockets.clear();
    if (server !== undefined) await new Promise((resolve) => server.close(resolve));
  }

  async restore(): Promise<void> {
    if (this.server !== undefined) return;
    const server = createServer((agent) => this.relay(agent));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  close(): Promise<void> {
    return this.cut();
  }

  private relay(agent: Socket): void {
    const bridge = connect({ host: '127.0.0.1', port: this.targetPort });
    for (const [a, b] of [
      [agent, bridge],
      [bridge, agent],
    ] as const) {
      this.sockets.add(a);
      a.on('error', () => {});
      a.on('close', () => {
        this.sockets.delete(a);
        b.destroy();
      });
      a.pipe(b);
    }
  }
}
