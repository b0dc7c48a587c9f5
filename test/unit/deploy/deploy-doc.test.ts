import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { SERVICE_USER, packagedUnit } from '../../../deploy/package/debian-files.ts';
import { LOG_KEEP_FILES, LOG_SIZE_KB, winswXml } from '../../../deploy/package/windows-service.ts';

/**
 * docs/deploy.md claim by claim against the files it describes, where no other deploy test pins the
 * figure: the compose table (images, published ports), the image (base, user, entrypoint, command),
 * the systemd units' restart policies, limits and the hardening the text lists, the Debian package's
 * user, the Windows service's restart delays and log rotation, the macOS daemon's user and rotation.
 */
const ROOT = new URL('../../../', import.meta.url).pathname;
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');
const DOC = read('docs/deploy.md');
/** The doc with its line breaks as spaces: a claim may wrap. */
const FLAT = DOC.replace(/\s*\n\s*/g, ' ');

/** `Key=value` lines of a unit's [Service] section, repeated keys kept in order. */
function service(unit: string): Map<string, string[]> {
  const body = read(`deploy/systemd/${unit}`)
    .split(/^\[Service\]$/m)[1]!
    .split(/^\[/m)[0]!;
  const keys = new Map<string, string[]>();
  for (const m of body.matchAll(/^([A-Za-z]+)=(.*)$/gm)) keys.set(m[1]!, [...(keys.get(m[1]!) ?? []), m[2]!]);
  return keys;
}

describe('docs/deploy.md: how obsmon runs', () => {
  test('npm ci compiles the CLI through the prepare script; the checkout needs Node.js >= 20', () => {
    const pkg = JSON.parse(read('package.json')) as { engines: { node: string }; scripts: Record<string, string> };
    expect(FLAT).toContain('`npm ci` compiles the CLI to JavaScript (`npm run build`, run by its `prepare` script');
    expect(pkg.scripts['prepare']).toBe(pkg.scripts['build']);
    expect(DOC).toContain('on the bridge host and on every Linux node: Node.js >= 20');
    expect(pkg.engines.node).toBe('>=20');
  });
});

describe('docs/deploy.md: docker-compose', () => {
  const compose = parse(read('docker-compose.yml')) as {
    services: Record<string, { image: string; ports?: string[]; network_mode?: string; command?: string[] }>;
  };
  const rows = [...DOC.matchAll(/^\| `(\w+)` \| `([^`]+)`[^|]*\| ([^|]+) \|/gm)].map((m) => ({
    name: m[1]!,
    image: m[2]!,
    where: m[3]!,
  }));

  test('the service table names every service with its image', () => {
    expect(rows.map((r) => r.name).sort()).toEqual(Object.keys(compose.services).sort());
    for (const r of rows) expect(compose.services[r.name]!.image, r.name).toBe(r.image);
  });

  test('the published ports are those of the table: loopback where it says "this host only"', () => {
    const published = (name: string) => compose.services[name]!.ports ?? [];
    for (const r of rows) {
      const urls = [...r.where.matchAll(/(127\.0\.0\.1|localhost|\\<host\\>|<host>):(\d+)/g)];
      if (r.name === 'exporter') {
        // Host network: its own /metrics on the loopback port of its flags, nothing published.
        expect(compose.services['exporter']!.network_mode).toBe('host');
        expect(r.where).toContain('127.0.0.1:7081');
        expect(compose.services['exporter']!.command!.join(' ')).toMatch(/7081.*127\.0\.0\.1|127\.0\.0\.1.*7081/);
        continue;
      }
      expect(urls.length, r.name).toBeGreaterThan(0);
      for (const [, host, port] of urls) {
        const mapping = host === '127.0.0.1' ? `127.0.0.1:${port}:${port}` : `${port}:${port}`;
        expect(published(r.name), `${r.name} ${host}:${port}`).toContain(mapping);
      }
      if (r.where.includes('this host only')) {
        for (const p of published(r.name)) expect(p, r.name).toMatch(/^127\.0\.0\.1:/);
      }
    }
  });

  test('the image: base, non-root node user, entrypoint with the node flags, bridge by default', () => {
    const dockerfile = read('Dockerfile');
    const base = /`(node:[\w.-]+)`/.exec(DOC.split('### The image')[1]!)![1]!;
    for (const from of dockerfile.matchAll(/^FROM (\S+)/gm)) expect(from[1]).toBe(base);
    expect(dockerfile).toMatch(/^USER node$/m);
    const entrypoint = /^ENTRYPOINT (.*)$/m.exec(dockerfile)![1]!;
    expect(DOC).toContain(`\`ENTRYPOINT ${entrypoint}\``);
    expect(dockerfile).toMatch(/^CMD \["bridge"\]$/m);
    expect(dockerfile).toMatch(/OBSMON_HEALTH_URL=http:\/\/127\.0\.0\.1:7080\/healthz/);
  });
});

describe('docs/deploy.md: systemd units', () => {
  const bridge = service('obsmon-bridge.service');
  const exporter = service('obsmon-exporter.service');

  test('both: no capabilities, native @system-service calls only, IPv4/IPv6/Unix sockets only', () => {
    expect(FLAT).toContain(
      'with no capabilities, a read-only system, no new privileges, native system calls of the `@system-service` set only, and IPv4/IPv6/Unix sockets only',
    );
    for (const unit of [bridge, exporter]) {
      expect(unit.get('AmbientCapabilities')).toEqual(['']);
      expect(unit.get('SystemCallFilter')?.[0]).toBe('@system-service');
    }
  });

  test('the bridge hides other processes, has a private /tmp, and its state directory is /var/lib/obsmon/spool', () => {
    expect(FLAT).toContain('in `/var/lib/obsmon/spool` (`StateDirectory`)');
    expect(FLAT).toContain('it also hides other processes and has a private `/tmp`');
    expect(bridge.get('ProtectProc')).toEqual(['invisible']);
    expect(bridge.get('PrivateTmp')).toEqual(['yes']);
    expect(bridge.get('Restart')).toEqual(['on-failure']);
  });

  test('the exporter is capped at 10 % of a CPU and 256 MiB', () => {
    expect(FLAT).toContain('it is capped at 10 % of a CPU and 256 MiB');
    expect(exporter.get('CPUQuota')).toEqual(['10%']);
    expect(exporter.get('MemoryMax')).toEqual(['256M']);
  });

  test('the install commands copy files that exist', () => {
    for (const m of DOC.matchAll(/sudo cp ((?:deploy\/systemd\/\S+ ?)+)/g)) {
      for (const path of m[1]!.trim().split(' ')) expect(() => read(path), path).not.toThrow();
    }
  });
});

describe('docs/deploy.md: the Debian package, Windows and macOS', () => {
  test('the packaged unit runs as the system user obsmon', () => {
    expect(FLAT).toContain('running as the system user `obsmon`');
    expect(SERVICE_USER).toBe('obsmon');
    const unit = packagedUnit(read('deploy/systemd/obsmon-exporter.service'));
    expect(unit).toMatch(/^User=obsmon$/m);
    expect(unit).not.toMatch(/^DynamicUser=/m);
  });

  test('Windows: restarts after 10 s, 30 s, then every 60 s; logs rotated at 10 MiB, 8 kept', () => {
    expect(FLAT).toContain(
      'the service restarts after 10 s, 30 s, then every 60 s (the count resets after an hour running)',
    );
    expect(FLAT).toContain('rotated at 10 MiB, 8 files kept');
    const xml = winswXml('0.1.0');
    expect([...xml.matchAll(/<onfailure action="restart" delay="(\d+) sec"\/>/g)].map((m) => m[1])).toEqual([
      '10',
      '30',
      '60',
    ]);
    expect(xml).toContain('<resetfailure>1 hour</resetfailure>');
    expect(LOG_SIZE_KB).toBe(10 * 1024);
    expect(LOG_KEEP_FILES).toBe(8);
  });

  test('macOS: runs as nobody, kept alive, restarted within 10 s; the log rotated at 1 MiB, 7 kept', () => {
    const plist = read('deploy/macos/org.obsmon.exporter.plist');
    expect(plist).toMatch(/<key>UserName<\/key>\s*<string>nobody<\/string>/);
    expect(plist).toMatch(/<key>KeepAlive<\/key>\s*<true\/>/);
    expect(plist).toMatch(/<key>ThrottleInterval<\/key>\s*<integer>10<\/integer>/);
    expect(FLAT).toContain('at 1 MiB newsyslog renames the log (7 kept)');
    const entry = read('deploy/macos/obsmon-exporter.newsyslog.conf')
      .split('\n')
      .find((l) => l.startsWith('/var/log/obsmon/exporter.log'))!
      .split(/\s+/);
    expect(entry.slice(1, 5)).toEqual(['nobody:wheel', '640', '7', '1024']);
  });
});
