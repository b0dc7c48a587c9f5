import { connect } from 'node:net';
import { splitHostPort } from '../../config/common-schemas.ts';
import { answered, monotonicMs, type ProbeResult } from './probe-result.ts';

/**
 * Up = a TCP connection to `target` (host:port) completes within the timeout; the round trip is the
 * connect time. Nothing is sent: a PLC's Modbus port or a switch's SSH port only sees a connect and close.
 */
export function tcpProbe(target: string, timeoutMs: number, signal: AbortSignal): Promise<ProbeResult> {
  const { host, port } = splitHostPort(target);
  return new Promise((resolve) => {
    const started = monotonicMs();
    const socket = connect({ host, port });
    let done = false;
    const finish = (result: ProbeResult) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', abort);
      socket.destroy();
      resolve(result);
    };
    const abort = () => finish({ up: false, reason: 'stopped' });
    signal.addEventListener('abort', abort, { once: true });
    const timer = setTimeout(
      () => finish({ up: false, reason: `no connection within ${timeoutMs / 1000} s` }),
      timeoutMs,
    );
    socket.once('connect', () => finish(answered(monotonicMs() - started, timeoutMs, 'connection')));
    // Refused, unreachable, DNS failure, reset: every error is a down device, never a crash.
    socket.on('error', (error: NodeJS.ErrnoException) => finish({ up: false, reason: error.code ?? error.message }));
  });
}
