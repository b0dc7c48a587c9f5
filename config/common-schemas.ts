import { z } from 'zod';

export const port = z
  .number({ error: 'expected a TCP port number 0..65535' })
  .int({ error: 'expected a TCP port number 0..65535' })
  .min(0, { error: 'expected a TCP port number 0..65535' })
  .max(65535, { error: 'expected a TCP port number 0..65535' });

export const seconds = (min: number, max: number) =>
  z
    .number({ error: `expected seconds between ${min} and ${max}` })
    .min(min, { error: `expected seconds between ${min} and ${max}` })
    .max(max, { error: `expected seconds between ${min} and ${max}` });

export const positiveInt = (max: number) =>
  z
    .number({ error: `expected a whole number 1..${max}` })
    .int({ error: `expected a whole number 1..${max}` })
    .min(1, { error: `expected a whole number 1..${max}` })
    .max(max, { error: `expected a whole number 1..${max}` });

export const address = z.string({ error: 'expected an IP address or host name' }).min(1, { error: 'expected an IP address or host name' });

const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.:-]+?):(\d{1,5})$/;

/** `host:port` or `[v6]:port`. */
export const hostPort = z.string().refine(
  (s) => {
    const m = HOST_PORT.exec(s);
    return m !== null && Number(m[2]) > 0 && Number(m[2]) < 65536;
  },
  { error: 'expected <host:port>, e.g. 10.0.0.5:7070 or [::1]:7070' },
);

export function splitHostPort(s: string): { host: string; port: number } {
  const m = HOST_PORT.exec(s);
  if (m === null) throw new Error(`not host:port: ${s}`);
  const host = m[1]!.startsWith('[') ? m[1]!.slice(1, -1) : m[1]!;
  return { host, port: Number(m[2]) };
}

export const optionalPath = z.string().min(1, { error: 'expected a file path' }).optional();

export const logLevel = z.enum(['debug', 'info', 'warn', 'error'], { error: 'expected one of debug, info, warn, error' });
