import { ConfigError } from '../../config/config-error.ts';
import type { InfluxV1Target } from './influx-v1-endpoint.ts';
import type { InfluxV2Target } from './influx-v2-endpoint.ts';

/** The storage options of the bridge (a subset of BridgeOptions). */
export interface StorageOptions {
  readonly influxUrl: string | undefined;
  readonly influxOrg: string | undefined;
  readonly influxBucket: string | undefined;
  readonly influxToken: string | undefined;
  readonly influxDb: string | undefined;
  readonly influxRp: string | undefined;
  readonly influxUser: string | undefined;
  readonly influxPassword: string | undefined;
  readonly influxBatchSize: number;
  readonly influxFlushInterval: number;
  readonly influxTimeout: number;
  readonly spoolDir: string | undefined;
  readonly spoolMaxBytes: number;
  readonly spoolFsyncInterval: number;
  readonly historyPoints: number;
  readonly historyMaxPoints: number;
}

export type DatabaseConfig =
  { readonly api: 'none' } | ({ readonly api: 'v1' } & InfluxV1Target) | ({ readonly api: 'v2' } & InfluxV2Target);

/** Without --spool-dir the spool lives in memory, bounded by the smaller of this and --spool-max-bytes. */
export const MEMORY_SPOOL_MAX_BYTES = 64 * 1024 * 1024;

/**
 * Which InfluxDB API the options select: `--influx-db` the 1.x `/write`, `--influx-bucket` the v2
 * API. Mixed or incomplete settings stop start-up with one line naming the flags.
 */
export function databaseConfig(o: StorageOptions): DatabaseConfig {
  const v1Only = { 'influx-rp': o.influxRp, 'influx-user': o.influxUser, 'influx-password': o.influxPassword };
  const v2Only = { 'influx-org': o.influxOrg, 'influx-token': o.influxToken };
  const set = (flags: Record<string, string | undefined>) =>
    Object.entries(flags)
      .filter(([, v]) => v !== undefined)
      .map(([k]) => `--${k}`);
  const timeoutMs = o.influxTimeout * 1000;
  if (o.influxUrl === undefined) {
    const stray = [
      ...set({ 'influx-db': o.influxDb, 'influx-bucket': o.influxBucket }),
      ...set(v1Only),
      ...set(v2Only),
    ];
    if (stray.length > 0)
      throw new ConfigError(`Invalid ${stray.join(', ')} (from options): requires --influx-url <url>`);
    return { api: 'none' };
  }
  if (o.influxDb !== undefined && o.influxBucket !== undefined) {
    throw new ConfigError(
      'Invalid --influx-db with --influx-bucket (from options): choose one, --influx-db for InfluxDB 1.x or --influx-bucket for the v2 API',
    );
  }
  if (o.influxDb !== undefined) {
    const stray = set(v2Only);
    if (stray.length > 0)
      throw new ConfigError(
        `Invalid ${stray.join(', ')} (from options): not used by the InfluxDB 1.x API selected by --influx-db`,
      );
    const target: InfluxV1Target = { url: o.influxUrl, db: o.influxDb, timeoutMs };
    return { api: 'v1', ...target, ...defined({ rp: o.influxRp, user: o.influxUser, password: o.influxPassword }) };
  }
  if (o.influxBucket === undefined)
    throw new ConfigError(
      `Invalid --influx-url ${JSON.stringify(o.influxUrl)} (from options): requires --influx-bucket (v2 API) or --influx-db (InfluxDB 1.x)`,
    );
  const stray = set(v1Only);
  if (stray.length > 0)
    throw new ConfigError(
      `Invalid ${stray.join(', ')} (from options): not used by the v2 API selected by --influx-bucket`,
    );
  if (o.influxOrg === undefined)
    throw new ConfigError('Invalid --influx-bucket (from options): requires --influx-org (any name for InfluxDB 1.8)');
  return {
    api: 'v2',
    url: o.influxUrl,
    org: o.influxOrg,
    bucket: o.influxBucket,
    timeoutMs,
    maxLines: o.influxBatchSize,
    ...defined({ token: o.influxToken }),
  };
}

function defined<T extends Record<string, string | undefined>>(values: T): { [K in keyof T]?: string } {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: string };
}
