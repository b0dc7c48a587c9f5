import { connect } from 'node:net';
import { splitHostPort } from '../../config/common-schemas.ts';
import { answered, failed, monotonicMs, probeAttempt, type ProbeResult } from './probe-result.ts';

/**
 * Up = a TCP connection to `target` (host:port) completes within the timeout; the round trip is the
 * connect time. Nothing is sent: a PLC's Modbus port or a switch's SSH port only sees a connect and close.
 */
export function tcpProbe(target: string, timeoutMs: number, signal: AbortSignal): Promise<ProbeResult> {
  const { host, port } = splitHostPort(target);
  return probeAttempt('connection', timeoutMs, signal, (finish, startedMs) => {
    const socket = connect({ host, port });
    socket.once('connect', () => finish(answered(monotonicMs() - startedMs, timeoutMs, 'connection')));
    socket.on('error', (error: NodeJS.ErrnoException) => finish(failed(error)));
    return () => socket.destroy();
  });
}
