import { ConfigError } from '../config/config-error.ts';
import { readConfigFile as read } from '../lib/config-file.ts';
import type { ExporterOptions } from './options.ts';
import type { TcpSenderOptions } from './sender.ts';

/** Token and TLS material from their files (secrets never sit on the command line). */
export function senderCredentials(values: ExporterOptions): Pick<TcpSenderOptions, 'token' | 'tls'> {
  const token =
    values.tokenFile === undefined ? undefined : read(values.tokenFile, '--token-file').toString('utf8').trim();
  if (token !== undefined && !/^\S+$/.test(token))
    throw new ConfigError(`Invalid --token-file "${values.tokenFile}": expected one token without blanks`);
  if ((values.tlsCert === undefined) !== (values.tlsKey === undefined)) {
    throw new ConfigError('Invalid --tls-cert/--tls-key: give both or neither');
  }
  const usesTls = values.tls || values.tlsCa !== undefined || values.tlsCert !== undefined;
  const tls = usesTls
    ? {
        ...(values.tlsCa === undefined ? {} : { ca: read(values.tlsCa, '--tls-ca') }),
        ...(values.tlsCert === undefined
          ? {}
          : { cert: read(values.tlsCert, '--tls-cert'), key: read(values.tlsKey!, '--tls-key') }),
      }
    : undefined;
  return { ...(token === undefined ? {} : { token }), ...(tls === undefined ? {} : { tls }) };
}
