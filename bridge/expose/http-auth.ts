import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { readConfigFile } from '../../lib/config-file.ts';

const digest = (text: string) => createHash('sha256').update(text).digest();

function readSecrets(path: string, flag: string): string[] {
  return readConfigFile(path, flag, 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
}

/**
 * Optional HTTP authentication: bearer tokens (one per line of a file) and/or basic-auth
 * `user:password` lines. Everything but `/healthz` is behind it once either file is given; secrets
 * are compared as digests in constant time.
 */
export function httpAuth(bearerFile: string | undefined, basicFile: string | undefined): RequestHandler | undefined {
  if (bearerFile === undefined && basicFile === undefined) return undefined;
  const bearer = (bearerFile === undefined ? [] : readSecrets(bearerFile, '--http-bearer-tokens')).map(digest);
  const basic = (basicFile === undefined ? [] : readSecrets(basicFile, '--http-basic-auth')).map(digest);
  const matches = (candidates: Buffer[], presented: string) => {
    const d = digest(presented);
    return candidates.some((c) => timingSafeEqual(c, d));
  };
  return (req, res, next) => {
    if (req.path === '/healthz') return next();
    const header = req.get('authorization') ?? '';
    const [scheme = '', value = ''] = header.split(' ', 2);
    if (scheme.toLowerCase() === 'bearer' && matches(bearer, value)) return next();
    if (scheme.toLowerCase() === 'basic' && matches(basic, Buffer.from(value, 'base64').toString('utf8')))
      return next();
    if (basic.length > 0) res.setHeader('www-authenticate', 'Basic realm="obsmon", charset="UTF-8"');
    res.status(401).json({ error: 'unauthorized' });
  };
}
