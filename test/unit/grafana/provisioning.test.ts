import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { DASHBOARDS_MOUNT } from '../../../grafana/src/provisioning.ts';

/*
 * No Grafana can be installed here (not in Debian, no Docker engine) and no validator for these files exists, so
 * this checks what Grafana requires of them: apiVersion, the fields of each datasource and provider,
 * and that they agree with the dashboards and with docker-compose.yml.
 */
const REPO = new URL('../../../', import.meta.url).pathname;
const read = (path: string) => parse(readFileSync(join(REPO, path), 'utf8')) as Record<string, unknown>;

interface Datasource {
  name: string;
  uid: string;
  type: string;
  access: string;
  url: string;
  isDefault?: boolean;
  jsonData?: Record<string, unknown>;
  secureJsonData?: Record<string, string>;
}
interface Provider {
  name: string;
  type: string;
  folder: string;
  options: { path: string };
}
interface Compose {
  services: Record<string, { volumes?: string[]; environment?: Record<string, string> | string[]; ports?: string[] }>;
}

const datasources = read('grafana/provisioning/datasources/obsmon.yml') as {
  apiVersion: number;
  datasources: Datasource[];
};
const providers = read('grafana/provisioning/dashboards/obsmon.yml') as { apiVersion: number; providers: Provider[] };
const compose = read('docker-compose.yml') as unknown as Compose;

describe('Grafana provisioning', () => {
  test('datasources: apiVersion 1; Prometheus, InfluxQL and Flux with name, uid, type, access and url', () => {
    expect(datasources.apiVersion).toBe(1);
    for (const ds of datasources.datasources) {
      expect(ds, ds.name).toEqual(
        expect.objectContaining({
          name: expect.any(String),
          uid: expect.stringMatching(/^[A-Za-z0-9_-]{1,40}$/),
          type: expect.any(String),
          access: 'proxy',
          url: expect.stringMatching(/^http:\/\//),
        }),
      );
    }
    expect(datasources.datasources.map((d) => [d.uid, d.type, d.jsonData?.['version'] ?? null])).toEqual([
      ['obsmon-prometheus', 'prometheus', null],
      ['obsmon-influxql', 'influxdb', 'InfluxQL'],
      ['obsmon-flux', 'influxdb', 'Flux'],
    ]);
    expect(datasources.datasources.filter((d) => d.isDefault === true)).toHaveLength(1);
  });

  test('InfluxDB credentials come from the environment, never from the file', () => {
    const secrets = datasources.datasources.flatMap((d) => Object.values(d.secureJsonData ?? {}));
    expect(secrets.length).toBeGreaterThan(0);
    for (const value of secrets) expect(value).toMatch(/\$\{OBSMON_INFLUX_TOKEN\}/);
    const env = compose.services['grafana']!.environment as Record<string, string>;
    expect(Object.keys(env)).toContain('OBSMON_INFLUX_TOKEN');
  });

  test('every datasource URL is a docker-compose service and a port it listens on', () => {
    for (const ds of datasources.datasources) {
      const url = new URL(ds.url);
      expect(Object.keys(compose.services), ds.url).toContain(url.hostname);
      const defaults: Record<string, string> = { prometheus: '9090', influxdb: '8086' };
      expect(url.port, ds.url).toBe(defaults[url.hostname]);
    }
  });

  test('the dashboard provider loads the directory docker-compose mounts grafana/dashboards on', () => {
    expect(providers.apiVersion).toBe(1);
    const [provider] = providers.providers;
    expect(provider).toEqual(expect.objectContaining({ name: 'obsmon', type: 'file', folder: 'obsmon' }));
    expect(provider!.options.path).toBe(DASHBOARDS_MOUNT);
    const volumes = compose.services['grafana']!.volumes ?? [];
    expect(volumes).toContain(`./grafana/dashboards:${DASHBOARDS_MOUNT}:ro`);
    expect(volumes).toContain('./grafana/provisioning:/etc/grafana/provisioning:ro');
    expect(readdirSync(join(REPO, 'grafana/dashboards')).filter((f) => f.endsWith('.json')).length).toBe(4);
  });
});
