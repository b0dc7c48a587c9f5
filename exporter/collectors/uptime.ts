import type { Collector } from './collector.ts';

/** `uptime`: seconds since boot; a drop means a reboot. */
export const uptimeCollector: Collector = {
  name: 'uptime',
  defaultEnabled: false,
  keys: ['uptime'],
  async collect(source) {
    return [{ key: 'uptime', value: await source.uptimeSeconds() }];
  },
};
