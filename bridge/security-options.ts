import * as z from '../config/zod.ts';
import { optionalPath, port, positiveInt, seconds } from '../config/common-schemas.ts';
import { option } from '../config/option.ts';
import { isCidr } from './ingest/source-filter.ts';

/** Who may report, over what, and how fast: the ingest protections (docs/security.md). */
export const securityOptionSpecs = {
  allowFrom: option(
    'list',
    z.array(z.string().check(z.refine(isCidr, { error: 'expected IP addresses or CIDR networks, e.g. 10.1.0.0/16' }))),
    [] as string[],
    'Source networks agents may connect from (empty: any)',
    '<cidr>',
  ),
  auth: option(
    'string',
    z.enum(['off', 'optional', 'required'], { error: 'expected off, optional or required' }),
    'off' as 'off' | 'optional' | 'required',
    'Agent authentication by a first line "AUTH <token>": off, optional (tokens bind nodes when sent) or required',
    '<mode>',
  ),
  authTokens: option(
    'string',
    optionalPath,
    undefined,
    'YAML file of agent tokens and the nodes each may report for',
    '<file>',
  ),
  authTimeout: option(
    'number',
    seconds(0.1, 3600),
    10,
    '--auth required: close a connection not authenticated this long after connecting',
    '<seconds>',
  ),
  maxUnauthenticatedPerSource: option(
    'number',
    positiveInt(1_000_000),
    16,
    '--auth required: connections from one source address not authenticated yet; more are refused',
    '<n>',
  ),
  tlsPort: option(
    'number',
    z.optional(port),
    undefined,
    'Also accept agents over TLS on this port (needs --tls-cert, --tls-key)',
    '<n>',
  ),
  tlsCert: option('string', optionalPath, undefined, 'PEM certificate (chain) of the TLS ingest port', '<file>'),
  tlsKey: option('string', optionalPath, undefined, 'PEM private key of the TLS ingest port', '<file>'),
  tlsClientCa: option(
    'string',
    optionalPath,
    undefined,
    'Require client certificates signed by this CA; their CN/DNS names (literal, no patterns) are the nodes they may report',
    '<file>',
  ),
  tlsHandshakeTimeout: option(
    'number',
    seconds(0.1, 300),
    10,
    'Close a TLS connection whose handshake is not finished this long after connecting',
    '<seconds>',
  ),
  maxConnectionsPerSource: option(
    'number',
    positiveInt(1_000_000),
    1024,
    'Agent connections held at once from one source address',
    '<n>',
  ),
  maxLinesPerSecond: option(
    'number',
    positiveInt(10_000_000),
    2000,
    'Per connection; faster senders are paused (backpressure), never dropped',
    '<n>',
  ),
  lineTimeout: option(
    'number',
    seconds(1, 3600),
    30,
    'Close a connection whose line stays unfinished this long (slowloris)',
    '<seconds>',
  ),
  httpBearerTokens: option(
    'string',
    optionalPath,
    undefined,
    'File of bearer tokens (one per line) required for HTTP (all but /healthz)',
    '<file>',
  ),
  httpBasicAuth: option(
    'string',
    optionalPath,
    undefined,
    'File of user:password lines accepted as HTTP basic auth (all but /healthz)',
    '<file>',
  ),
  corsOrigins: option(
    'list',
    z.array(z.string().check(z.minLength(1))),
    [] as string[],
    'Browser origins allowed to read the API (`*` = any); default same-origin only',
    '<origin>',
  ),
  maxCustomKeysPerNode: option(
    'number',
    positiveInt(100_000),
    64,
    'Distinct custom keys per node; further ones are dropped (too_many_custom_keys)',
    '<n>',
  ),
};
