import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import * as z from '../../config/zod.ts';
import { ConfigError } from '../../config/config-error.ts';
import { readYamlFile } from '../../config/yaml-file.ts';

/** What an authenticated connection may report: any node, or the nodes matching these patterns. */
export interface Grant {
  readonly label: string;
  allows(node: string): boolean;
}

/** Exactly these node names; no character is special (names from a client certificate). */
export function literalGrant(label: string, names: readonly string[]): Grant {
  const exact = new Set(names);
  return { label, allows: (node) => exact.has(node) };
}

/** Exact names, or `*` globs (`ccd*`, `*`): only for patterns from the bridge's own configuration. */
export function grantFor(label: string, patterns: readonly string[]): Grant {
  if (patterns.includes('*')) return { label, allows: () => true };
  const exact = new Set(patterns.filter((p) => !p.includes('*')));
  const globs = patterns
    .filter((p) => p.includes('*'))
    .map(
      (p) =>
        new RegExp(
          `^${p
            .split('*')
            .map((s) => s.replace(/[.+?^${}()|[\]\\-]/g, '\\$&'))
            .join('.*')}$`,
        ),
    );
  return { label, allows: (node) => exact.has(node) || globs.some((g) => g.test(node)) };
}

const entry = z
  .strictObject({
    name: z.optional(z.string().check(z.minLength(1))),
    token: z.optional(z.string().check(z.minLength(16, { error: 'tokens must be at least 16 characters' }))),
    token_file: z.optional(z.string().check(z.minLength(1))),
    nodes: z
      .array(z.string().check(z.minLength(1)))
      .check(z.minLength(1, { error: 'list the nodes the token may report for, or ["*"]' })),
  })
  .check(
    z.refine((e) => (e.token === undefined) !== (e.token_file === undefined), {
      error: 'give exactly one of token and token_file',
    }),
  );
const tokensFile = z.strictObject({ tokens: z.array(entry).check(z.minLength(1)) });

const digest = (token: string) => createHash('sha256').update(token).digest('hex');

/**
 * Agent tokens (`--auth-tokens <file>`). Only digests are kept in memory; a lookup by digest means a
 * guessed token's timing tells nothing about a real one.
 */
export class TokenGrants {
  private constructor(private readonly byDigest: ReadonlyMap<string, Grant>) {}

  static load(path: string): TokenGrants {
    const parsed = readYamlFile(path, tokensFile, 'auth tokens file');
    const byDigest = new Map<string, Grant>();
    parsed.tokens.forEach((t, i) => {
      const token = t.token ?? readTokenFile(resolve(dirname(path), t.token_file!), path);
      byDigest.set(digest(token), grantFor(t.name ?? `token #${i + 1}`, t.nodes));
    });
    return new TokenGrants(byDigest);
  }

  static of(tokens: Readonly<Record<string, readonly string[]>>): TokenGrants {
    return new TokenGrants(
      new Map(Object.entries(tokens).map(([token, nodes], i) => [digest(token), grantFor(`token #${i + 1}`, nodes)])),
    );
  }

  lookup(token: string): Grant | undefined {
    return this.byDigest.get(digest(token));
  }
}

function readTokenFile(path: string, from: string): string {
  try {
    const token = readFileSync(path, 'utf8').trim();
    if (token.length < 16) throw new Error('token shorter than 16 characters');
    return token;
  } catch (error) {
    throw new ConfigError(`Invalid auth tokens file "${from}": token_file "${path}": ${(error as Error).message}`);
  }
}
