import { ConfigError } from '../../config/config-error.ts';
import { basicAuth } from './influx-v1-endpoint.ts';
import type { RemoteWriteTarget } from './remote-write-endpoint.ts';

/** The remote-write options of the bridge (a subset of BridgeOptions). */
export interface RemoteWriteOptions {
  readonly remoteWriteUrl: string | undefined;
  readonly remoteWriteBearerToken: string | undefined;
  readonly remoteWriteUser: string | undefined;
  readonly remoteWritePassword: string | undefined;
  readonly remoteWriteTimeout: number;
  readonly remoteWriteBatchSize: number;
}

/** Samples per remote-write request (--remote-write-batch-size): Prometheus' own max_samples_per_send. */
export const DEFAULT_REMOTE_WRITE_BATCH_SIZE = 2000;

/** Subdirectory of --spool-dir for the remote-write spool and dead letter. */
export const REMOTE_WRITE_SPOOL_SUBDIR = 'remote-write';

/** The receiver the options select, or undefined without --remote-write-url; inconsistent flags stop start-up. */
export function remoteWriteConfig(
  o: RemoteWriteOptions,
): (RemoteWriteTarget & { readonly batchSize: number }) | undefined {
  const auth = {
    'remote-write-bearer-token': o.remoteWriteBearerToken,
    'remote-write-user': o.remoteWriteUser,
    'remote-write-password': o.remoteWritePassword,
  };
  const set = Object.keys(auth)
    .filter((k) => auth[k as keyof typeof auth] !== undefined)
    .map((k) => `--${k}`);
  if (o.remoteWriteUrl === undefined) {
    if (set.length > 0)
      throw new ConfigError(`Invalid ${set.join(', ')} (from options): requires --remote-write-url <url>`);
    return undefined;
  }
  const url = new URL(o.remoteWriteUrl);
  if (url.username !== '' || url.password !== '') {
    throw new ConfigError(
      'Invalid --remote-write-url (from options): credentials in the URL would show in logs; use --remote-write-user and OBSMON_REMOTE_WRITE_PASSWORD',
    );
  }
  if (o.remoteWriteBearerToken !== undefined && o.remoteWriteUser !== undefined) {
    throw new ConfigError(
      'Invalid --remote-write-bearer-token with --remote-write-user (from options): choose one, a bearer token or basic auth',
    );
  }
  if (o.remoteWritePassword !== undefined && o.remoteWriteUser === undefined) {
    throw new ConfigError('Invalid --remote-write-password (from options): requires --remote-write-user <user>');
  }
  const authorization =
    o.remoteWriteBearerToken !== undefined
      ? `Bearer ${o.remoteWriteBearerToken}`
      : basicAuth(o.remoteWriteUser, o.remoteWritePassword).authorization;
  return {
    url: o.remoteWriteUrl,
    timeoutMs: o.remoteWriteTimeout * 1000,
    batchSize: o.remoteWriteBatchSize,
    ...(authorization === undefined ? {} : { authorization }),
  };
}
