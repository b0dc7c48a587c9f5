import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { loadInventory } from '../../../bridge/state/inventory.ts';
import { NODE_FLAGS } from '../../../deploy/node-flags.ts';

/*
 * No Docker engine runs here: the compose file is checked by Debian's
 * docker-compose v1 (`config` works offline), and its paths, names, ports and commands are checked
 * against the repository and the obsmon CLI.
 */
const REPO = new URL('../../../', import.meta.url).pathname;

interface Service {
  build?: string;
  image?: string;
  command?: string[];
  ports?: string[];
  volumes?: string[];
  environment?: Record<string, string>;
  network_mode?: string;
  pid?: string;
  healthcheck?: { test: string[] };
}
const compose = parse(readFileSync(join(REPO, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, Service>;
  volumes: Record<string, null>;
};
const services = compose.services;
const prometheusYml = parse(readFileSync(join(REPO, 'prometheus/prometheus.yml'), 'utf8')) as {
  alerting: { alertmanagers: Array<{ static_configs: Array<{ targets: string[] }> }> };
  scrape_configs: Array<{ job_name: string; static_configs?: Array<{ targets: string[] }> }>;
};
const dockerfile = readFileSync(join(REPO, 'Dockerfile'), 'utf8');

/** The secrets .env must set (no defaults in the file: compose refuses to start without them). */
const SECRETS = {
  OBSMON_INFLUX_TOKEN: 'test-token-0123456789',
  INFLUXDB_ADMIN_PASSWORD: 'test-password',
  GRAFANA_ADMIN_PASSWORD: 'test-password',
};

function dockerCompose(args: string[], env: Record<string, string> = SECRETS) {
  const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => !(name in SECRETS)));
  const result = spawnSync('docker-compose', args, {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...base, ...env },
  });
  if (result.error !== undefined)
    throw new Error(
      `docker-compose not found: install the Debian package "docker-compose" (.ci/run does): ${result.error.message}`,
    );
  return result;
}

/** `--flag value` pairs and bare flags of a command line after its subcommand. */
function flags(command: string[]): string[] {
  return command.filter((a) => a.startsWith('--')).map((a) => a.split('=')[0]!);
}

/** `obsmon <subcommand> --help`, run from the checkout as the image's ENTRYPOINT would. */
function obsmonHelp(subcommand: string): string {
  const result = spawnSync('node', ['bin/obsmon.js', subcommand, '--help'], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 30_000,
  });
  expect(result.status, result.stderr).toBe(0);
  return result.stdout;
}

describe('docker-compose.yml', () => {
  test('docker-compose (v1) accepts it and lists the six services', () => {
    const config = dockerCompose(['-f', 'docker-compose.yml', 'config', '--quiet']);
    expect(config.status, config.stderr).toBe(0);
    const list = dockerCompose(['-f', 'docker-compose.yml', 'config', '--services']);
    expect(list.stdout.trim().split('\n').sort()).toEqual([
      'alertmanager',
      'bridge',
      'exporter',
      'grafana',
      'influxdb',
      'prometheus',
    ]);
  });

  test('refuses to start without the passwords and token of .env, naming the example file', () => {
    const config = dockerCompose(['-f', 'docker-compose.yml', 'config', '--quiet'], {});
    expect(config.status).not.toBe(0);
    expect(config.stderr).toContain('deploy/docker/env.example');
    const raw = readFileSync(join(REPO, 'docker-compose.yml'), 'utf8');
    const secrets = [...raw.matchAll(/\$\{(\w*(?:PASSWORD|TOKEN)\w*)(:[-?])/g)];
    expect(secrets.length).toBeGreaterThan(0);
    for (const [, name, operator] of secrets) expect(`${name}${operator}`, 'a secret has no default').toBe(`${name}:?`);
    // The example leaves every secret empty, so copying it unedited still refuses to start.
    const example = readFileSync(join(REPO, 'deploy/docker/env.example'), 'utf8');
    for (const name of Object.keys(SECRETS)) expect(example).toMatch(new RegExp(`^${name}=$`, 'm'));
  });

  test('every service has a healthcheck', () => {
    for (const [name, service] of Object.entries(services)) expect(service.healthcheck?.test, name).toBeDefined();
  });

  test('services without a login of their own are published on loopback only', () => {
    for (const name of ['prometheus', 'alertmanager', 'influxdb']) {
      for (const port of services[name]!.ports ?? []) expect(port, name).toMatch(/^127\.0\.0\.1:/);
    }
  });

  test("the bridge reads an inventory in which the stack's own exporter is a critical node", () => {
    const command = services['bridge']!.command!;
    const path = command[command.indexOf('--inventory') + 1]!;
    const mount = services['bridge']!.volumes!.find((v) => v.split(':')[1] === path);
    expect(mount, `a volume mounted at ${path}`).toBeDefined();
    const inventory = loadInventory(join(REPO, mount!.split(':')[0]!));
    const exporter = services['exporter']!.command!;
    const node = exporter[exporter.indexOf('--node') + 1]!;
    expect(inventory.get(node)?.critical, `${node} is listed as critical`).toBe(true);
  });

  test('every image is pinned to a version, never latest', () => {
    for (const [name, service] of Object.entries(services)) {
      expect(service.image, name).toMatch(/^[\w./-]+:v?\d+\.\d+\.\d+$/);
    }
  });

  test('every file or directory mounted from the checkout exists; every named volume is declared', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const volume of service.volumes ?? []) {
        const [source] = volume.split(':');
        if (source!.startsWith('./')) expect(existsSync(join(REPO, source!)), `${name}: ${volume}`).toBe(true);
        else if (!source!.startsWith('/')) expect(Object.keys(compose.volumes), `${name}: ${volume}`).toContain(source);
      }
    }
  });

  test('Prometheus scrapes and alerts at service names and ports the services listen on', () => {
    const targets = prometheusYml.scrape_configs.flatMap((job) =>
      (job.static_configs ?? []).flatMap((c) => c.targets.map((t) => [job.job_name, t] as const)),
    );
    expect(targets).toEqual(
      expect.arrayContaining([
        ['obsmon-bridge', 'bridge:7080'],
        ['alertmanager', 'alertmanager:9093'],
      ]),
    );
    for (const [job, target] of targets) {
      const [host, port] = target.split(':');
      if (host === 'localhost') continue;
      expect(Object.keys(services), `${job}: ${target}`).toContain(host);
      expect(
        services[host!]!.ports?.map((p) => p.replace(/^127\.0\.0\.1:/, '')),
        `${job}: ${target}`,
      ).toContain(`${port}:${port}`);
    }
    expect(prometheusYml.alerting.alertmanagers[0]!.static_configs[0]!.targets).toEqual(['alertmanager:9093']);
    expect(services['prometheus']!.volumes).toContain('./prometheus:/etc/prometheus:ro');
    expect(services['prometheus']!.command).toContain('--config.file=/etc/prometheus/prometheus.yml');
  });

  test('the bridge listens on the ports it publishes and writes to the InfluxDB service with its org and bucket', () => {
    const bridge = services['bridge']!;
    const command = bridge.command!;
    const value = (flag: string) => command[command.indexOf(flag) + 1];
    expect(command[0]).toBe('bridge');
    expect([value('--bind'), value('--ingest-port'), value('--http-port')]).toEqual(['0.0.0.0', '7070', '7080']);
    expect(bridge.ports).toEqual(['7070:7070', '7080:7080']);
    expect(value('--influx-url')).toBe('http://influxdb:8086');
    const influx = services['influxdb']!.environment!;
    expect([value('--influx-org'), value('--influx-bucket')]).toEqual([
      influx['DOCKER_INFLUXDB_INIT_ORG'],
      influx['DOCKER_INFLUXDB_INIT_BUCKET'],
    ]);
    // One token for the bridge, InfluxDB's setup and Grafana's datasources.
    const tokens = [
      bridge.environment!['OBSMON_INFLUX_TOKEN'],
      influx['DOCKER_INFLUXDB_INIT_ADMIN_TOKEN'],
      services['grafana']!.environment!['OBSMON_INFLUX_TOKEN'],
    ];
    expect(new Set(tokens).size).toBe(1);
  });

  test('the exporter watches the Docker host: host PID and network namespaces, / read-only, reporting to the published port', () => {
    const exporter = services['exporter']!;
    expect([exporter.network_mode, exporter.pid]).toEqual(['host', 'host']);
    expect(exporter.volumes).toEqual(['/:/host:ro,rslave']);
    expect(exporter.command!.slice(0, 3)).toEqual(['exporter', '--server', '127.0.0.1:7070']);
  });

  test('every flag the services pass to obsmon exists in its --help', () => {
    for (const name of ['bridge', 'exporter']) {
      const command = services[name]!.command!;
      const help = obsmonHelp(command[0]!);
      for (const flag of flags(command)) expect(help, `${name}: ${flag}`).toContain(`${flag} `);
    }
  }, 60_000);
});

describe('Dockerfile', () => {
  const instructions = dockerfile.split('\n').filter((l) => /^[A-Z]+ /.test(l));
  const froms = instructions.filter((l) => l.startsWith('FROM '));

  test('is multi-stage on a pinned Node 20 image and runs as a non-root user', () => {
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const from of froms) expect(from).toMatch(/^FROM node:20\.\d+\.\d+-[a-z]+-slim( AS \w+)?$/);
    expect(instructions.filter((l) => l.startsWith('USER ')).at(-1)).toBe('USER node');
  });

  test('copies only paths that exist, and the runtime needs nothing it does not copy', () => {
    const copied = instructions
      .filter((l) => l.startsWith('COPY ') && !l.includes('--from='))
      .flatMap((l) => l.split(/\s+/).slice(1, -1));
    for (const path of copied) expect(existsSync(join(REPO, path)), path).toBe(true);
    // Every top-level directory bin/obsmon.js can import from is copied.
    for (const dir of ['bin', 'cli', 'config', 'lib', 'protocol', 'bridge', 'exporter', 'rts2-sensord'])
      expect(copied, dir).toContain(dir);
    const ignored = readFileSync(join(REPO, '.dockerignore'), 'utf8').split('\n');
    for (const path of copied) expect(ignored, `${path} is copied but .dockerignore excludes it`).not.toContain(path);
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', '.git']));
  });

  test('its entrypoint is the obsmon CLI, compiled in the image; ports and healthcheck match the bridge', () => {
    expect(dockerfile).toContain(
      `ENTRYPOINT ${JSON.stringify(['node', ...NODE_FLAGS, 'bin/obsmon.js']).replace(/,/g, ', ')}`,
    );
    expect(dockerfile).toContain('CMD ["bridge"]');
    expect(obsmonHelp('bridge')).toContain('--http-port');
    expect(dockerfile).toMatch(/^EXPOSE 7070 7080$/m);
    expect(dockerfile).toMatch(/^HEALTHCHECK /m);
    expect(dockerfile).toContain('OBSMON_HEALTH_URL=http://127.0.0.1:7080/healthz');
    // The image compiles the CLI in its build stage and runs dist/cli/ (bin/obsmon.js).
    expect(dockerfile).toMatch(/^RUN npm run build && npm prune --omit=dev/m);
    expect(dockerfile).toContain('COPY --from=build /app/dist ./dist');
    // tsx runs the TypeScript when dist/cli/ is missing or stale, so it stays a production dependency.
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(Object.keys(pkg.dependencies)).toContain('tsx');
  }, 30_000);
});
