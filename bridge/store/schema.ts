import { standardKey } from '../../protocol/keys.ts';

/** Measurement of the node-wide (unqualified) values of a report. */
export const NODE_MEASUREMENT = 'obsmon_node';

/** Where one `key[@qualifier]` lives in InfluxDB; the single mapping used by writer and history query. */
export interface SeriesLocation {
  readonly measurement: string;
  /** Tag carrying the qualifier (`mount`, `interface`, ...), absent for node-wide values. */
  readonly qualifierTag?: { readonly name: string; readonly value: string };
  /** Field name: the protocol key itself. */
  readonly field: string;
}

/**
 * One measurement per report kind: node-wide values in `obsmon_node`, qualified values in
 * `obsmon_<qualifier label>` (`obsmon_mount`, `obsmon_interface`, `obsmon_sensor`, `obsmon_cpu`,
 * `obsmon_device`), tagged with that label. Custom keys use the `device` label, as on /metrics.
 */
export function locate(key: string, qualifier: string | undefined): SeriesLocation {
  if (qualifier === undefined) return { measurement: NODE_MEASUREMENT, field: key };
  const label = standardKey(key)?.qualifierLabel ?? 'device';
  return {
    measurement: `obsmon_${label}`,
    qualifierTag: { name: label, value: storedTagValue(qualifier) },
    field: key,
  };
}

/**
 * Line protocol cannot end a tag value with a backslash (InfluxDB 1.6 answers "invalid tag format"
 * whatever the escaping), so a trailing `\` (a Windows mount such as `C:\`) is stored as `/`.
 */
export function storedTagValue(value: string): string {
  return value.replace(/\\+$/, (tail) => '/'.repeat(tail.length));
}
