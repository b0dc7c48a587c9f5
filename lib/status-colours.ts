import type { Status } from '../protocol/status.ts';

/**
 * The LAMOST GUI's green / blue / red, taken from the Okabe-Ito palette so they stay distinct for
 * colour-blind eyes. Dashboards and the status page use these same values.
 */
export const STATUS_COLOURS: Readonly<Record<Status, string>> = {
  ok: '#009E73',
  warning: '#0072B2',
  error: '#D55E00',
  stale: '#999999',
};
