import type { Collector } from './collector.ts';

/**
 * `clock_sync_age`: seconds since the clock was last synchronised over NTP, where the OS keeps that
 * in a file (Linux with systemd-timesyncd). Nothing where it cannot be told (chronyd, ntpd, Windows,
 * macOS: see exporter/README.md). Off by default: one more key does not fit the standard report.
 */
export const clockSyncCollector: Collector = {
  name: 'clock-sync',
  defaultEnabled: false,
  keys: ['clock_sync_age'],
  async collect(source) {
    const age = await source.clockSyncAge();
    return age === undefined ? [] : [{ key: 'clock_sync_age', value: age }];
  },
};
