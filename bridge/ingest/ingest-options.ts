import type { TlsOptions } from 'node:tls';
import { ConfigError } from '../../config/config-error.ts';
import { readConfigFile as read } from '../../lib/config-file.ts';
import type { BridgeOptions } from '../options.ts';
import type { IngestServerOptions } from './server.ts';
import { SourceFilter } from './source-filter.ts';
import { TokenGrants } from './token-grants.ts';

/** Bridge options -> what the ingest listeners need; cross-option checks live here. */
export function ingestOptions(options: BridgeOptions): IngestServerOptions {
  if (options.auth !== 'off' && options.authTokens === undefined) {
    throw new ConfigError(`Invalid --auth "${options.auth}": requires --auth-tokens <file>`);
  }
  return {
    maxLineBytes: options.maxLineBytes,
    maxConnections: options.maxConnections,
    maxConnectionsPerSource: options.maxConnectionsPerSource,
    idleTimeoutMs: options.idleTimeout * 1000,
    shutdownGraceMs: options.shutdownGrace * 1000,
    lineTimeoutMs: options.lineTimeout * 1000,
    errReplies: options.errReplies,
    maxLinesPerSecond: options.maxLinesPerSecond,
    auth: options.auth,
    authTimeoutMs: options.authTimeout * 1000,
    maxUnauthenticatedPerSource: options.maxUnauthenticatedPerSource,
    tlsHandshakeTimeoutMs: options.tlsHandshakeTimeout * 1000,
    tokens: options.authTokens === undefined ? undefined : TokenGrants.load(options.authTokens),
    sources: new SourceFilter(options.allowFrom),
  };
}

export function tlsOptions(options: BridgeOptions): TlsOptions {
  if (options.tlsCert === undefined || options.tlsKey === undefined) {
    throw new ConfigError(`Invalid --tls-port ${options.tlsPort}: requires --tls-cert <file> and --tls-key <file>`);
  }
  const clientCa = options.tlsClientCa === undefined ? undefined : read(options.tlsClientCa, '--tls-client-ca');
  return {
    cert: read(options.tlsCert, '--tls-cert'),
    key: read(options.tlsKey, '--tls-key'),
    minVersion: 'TLSv1.2',
    ...(clientCa === undefined ? {} : { ca: clientCa, requestCert: true, rejectUnauthorized: true }),
  };
}
