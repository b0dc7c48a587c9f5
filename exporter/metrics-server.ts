import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { ConfigError } from '../config/config-error.ts';

export interface MetricsServer {
  readonly address: AddressInfo;
  close(): Promise<void>;
}

/** `GET /metrics` on its own listener. express is loaded only when this is used. */
export async function startMetricsServer(registry: Registry, bind: string, port: number): Promise<MetricsServer> {
  const { default: express } = await import('express');
  const app = express();
  app.get('/metrics', async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  });
  const server = await new Promise<ReturnType<typeof app.listen>>((resolve, reject) => {
    const s = app.listen(port, bind, (error?: Error) => (error ? reject(error) : resolve(s)));
  }).catch((error: Error) => {
    throw new ConfigError(
      `Cannot listen for /metrics on ${bind}:${port} (--metrics-bind, --metrics-port): ${error.message}`,
    );
  });
  return {
    address: server.address() as AddressInfo,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
