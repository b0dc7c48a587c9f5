import { hostname } from 'node:os';
import { NODE_PATTERN } from '../protocol/keys.ts';

/**
 * The default node name: the host name up to its first dot (short names keep reports small and
 * are what operators call their machines), with characters NODE_PATTERN does not allow replaced
 * by `_`, at most 64 characters.
 */
export function defaultNodeName(host: string = hostname()): string {
  const short = host.split('.')[0] ?? '';
  const name = short
    .replace(/[^A-Za-z0-9_.:-]/g, '_')
    .replace(/^[.:-]/, '_')
    .slice(0, 64);
  return NODE_PATTERN.test(name) ? name : 'localhost';
}
