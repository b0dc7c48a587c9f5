import { createServer, type RequestListener, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { RateLimitedLog } from '../../lib/rate-limited-log.ts';

export const HTTP_CONNECTION_CLOSE_REASONS = ['timeout', 'bad_request'] as const;

export interface HttpServerOptions {
  /** Connections held at once, stream subscribers included; further ones are closed at accept. */
  readonly maxConnections: number;
  /** The whole request (line and headers) must arrive within this long of its first byte or of the connection. */
  readonly requestTimeoutMs: number;
  readonly keepAliveTimeoutMs: number;
}

/**
 * The HTTP listener with every bound an outsider could otherwise hold open: a connection cap
 * (refused at accept, counted), a deadline for unfinished requests (slowloris), and a keep-alive
 * idle timeout. Node's own defaults (60 s for headers, 300 s per request, checked every 30 s) let a few
 * thousand half-sent requests exhaust the descriptors; these are short and checked often.
 */
export function createHttpServer(
  app: RequestListener,
  options: HttpServerOptions,
  registry: Registry,
  log: RateLimitedLog,
): Server {
  const checkEveryMs = Math.max(50, Math.min(1000, options.requestTimeoutMs / 4));
  const server = createServer(
    {
      headersTimeout: options.requestTimeoutMs,
      requestTimeout: options.requestTimeoutMs,
      keepAliveTimeout: options.keepAliveTimeoutMs,
      // How late a deadline may be enforced; Node checks every 30 s unless told.
      connectionsCheckingInterval: checkEveryMs,
    },
    app,
  );
  server.maxConnections = options.maxConnections;
  const deadlines = checkWhileConnected(server, checkEveryMs);

  const rejected = new Counter({
    name: 'obsmon_bridge_http_connections_rejected_total',
    help: 'HTTP connections refused at accept, by reason',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const closed = new Counter({
    name: 'obsmon_bridge_http_connections_closed_total',
    help: 'HTTP connections closed by the bridge, by reason: timeout (request unfinished), bad_request (unparsable)',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  rejected.labels('max_connections').inc(0);
  for (const reason of HTTP_CONNECTION_CLOSE_REASONS) closed.labels(reason).inc(0);
  let open = 0;
  new Gauge({
    name: 'obsmon_bridge_http_connections',
    help: 'HTTP connections open now',
    registers: [registry],
    collect() {
      this.set(open);
    },
  });
  server.on('connection', (socket: Socket) => {
    open += 1;
    deadlines.connected();
    socket.once('close', () => {
      open -= 1;
      if (open === 0) deadlines.idle();
    });
  });
  server.on('drop', (data?: { remoteAddress?: string }) => {
    rejected.labels('max_connections').inc();
    log.warn(
      'http_max_connections',
      `HTTP connection from ${data?.remoteAddress ?? 'unknown'} refused: --http-max-connections ${options.maxConnections} reached`,
    );
  });
  // Replaces Node's default answer so each close is counted; same statuses as Node's.
  server.on('clientError', (error: Error & { code?: string }, socket: Socket) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const timeout = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    const status = timeout
      ? '408 Request Timeout'
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? '431 Request Header Fields Too Large'
        : '400 Bad Request';
    const reason = timeout ? 'timeout' : 'bad_request';
    closed.labels(reason).inc();
    log.warn(
      `http_${reason}`,
      `HTTP connection from ${socket.remoteAddress ?? 'unknown'} closed: ${reason} (${error.code ?? error.message})`,
    );
    // As Node does: a status line only if nothing was sent on this connection yet, then close at once.
    if (socket.bytesWritten === 0) socket.write(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    socket.destroy();
  });
  return server;
}

// Node's http.Server keeps its deadline check (`connectionsCheckingInterval`) in this own property.
const CHECKING_INTERVAL = 'http.server.connectionsCheckingInterval';

/**
 * Node runs its request-deadline check on an interval from listen to close, a wake-up every
 * `everyMs` with no connection at all: the largest cost of an idle bridge (bridge/state/bridge-tick.ts).
 * This takes Node's check over and runs it only while a connection is open. It reaches into Node's
 * internal property: if that is absent (another Node.js), Node's own interval stays, as before.
 */
function checkWhileConnected(server: Server, everyMs: number): { connected(): void; idle(): void } {
  let check: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  const stop = () => {
    clearInterval(timer);
    timer = undefined;
  };
  // Node arms its interval in its own 'listening' listener, registered before this one (and before any connection).
  server.on('listening', () => {
    const key = Object.getOwnPropertySymbols(server).find((s) => s.description === CHECKING_INTERVAL);
    const nodeTimer: unknown = key === undefined ? undefined : Reflect.get(server, key);
    const onTimeout: unknown = (nodeTimer as { _onTimeout?: unknown } | undefined)?._onTimeout;
    if (typeof onTimeout !== 'function') return;
    clearInterval(nodeTimer as NodeJS.Timeout);
    check = onTimeout as () => void;
  });
  server.on('close', stop);
  return {
    connected() {
      if (check === undefined || timer !== undefined) return;
      timer = setInterval(check, everyMs);
      timer.unref();
    },
    idle: stop,
  };
}
