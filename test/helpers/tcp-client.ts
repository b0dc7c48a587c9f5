import { connect, type Socket } from 'node:net';

/** Open a TCP connection to 127.0.0.1:port; resolves once connected. */
export function connectTo(port: number, host = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port }, () => {
      socket.off('error', reject);
      // Resets during teardown are expected; a test that cares listens itself.
      socket.on('error', () => {});
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Send bytes on a fresh connection, half-close it, wait until the bridge closes its side. */
export async function sendAndClose(port: number, payload: string | Buffer): Promise<string> {
  const socket = await connectTo(port);
  let received = '';
  socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.once('close', () => resolve());
    socket.end(payload);
  });
  return received;
}
