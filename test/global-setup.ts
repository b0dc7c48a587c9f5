import { spawnSync } from 'node:child_process';
import { buildCli } from '../deploy/build/cli-bundle.ts';
import { ensureOldNode } from './helpers/old-node.ts';

/**
 * The tests run real servers. On a fresh Debian machine, install the ones missing (as root, or via
 * sudo) so `npm test` alone works; anywhere else, fail with the exact command to run. Never skip.
 */
const NEEDED: ReadonlyArray<{ binary: string; debianPackage: string }> = [
  { binary: 'promtool', debianPackage: 'prometheus' },
  { binary: 'prometheus', debianPackage: 'prometheus' },
  { binary: 'prometheus-alertmanager', debianPackage: 'prometheus-alertmanager' },
  { binary: 'amtool', debianPackage: 'prometheus-alertmanager' },
  { binary: 'victoria-metrics', debianPackage: 'victoria-metrics' },
  { binary: 'influxd', debianPackage: 'influxdb' },
  { binary: 'influx', debianPackage: 'influxdb-client' },
  { binary: 'nc', debianPackage: 'netcat-openbsd' },
  { binary: 'cc', debianPackage: 'gcc' },
  { binary: 'chromium', debianPackage: 'chromium' },
  { binary: 'haproxy', debianPackage: 'haproxy' },
  { binary: 'systemd-analyze', debianPackage: 'systemd' },
  { binary: 'python3', debianPackage: 'python3' },
  { binary: 'prometheus-pushgateway', debianPackage: 'prometheus-pushgateway' },
  { binary: 'prometheus-node-exporter', debianPackage: 'prometheus-node-exporter' },
  { binary: 'docker-compose', debianPackage: 'docker-compose' },
  { binary: 'indiserver', debianPackage: 'indi-bin' },
];

const has = (binary: string) => spawnSync('sh', ['-c', `command -v ${binary}`]).status === 0;

export default async function setup(): Promise<void> {
  // The tests run what ships: bin/obsmon.js runs dist/cli/, compiled from these sources now.
  await buildCli();
  ensureOldNode();
  const missing = [...new Set(NEEDED.filter((n) => !has(n.binary)).map((n) => n.debianPackage))];
  if (missing.length === 0) return;
  const command = `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ${missing.join(' ')}`;
  const asRoot = process.getuid?.() === 0;
  if (asRoot || has('sudo')) {
    process.stderr.write(`Installing the real servers the tests need: ${missing.join(' ')}\n`);
    const result = spawnSync('sh', ['-c', asRoot ? command : `sudo sh -c '${command}'`], { stdio: 'inherit' });
    if (result.status === 0) return;
  }
  throw new Error(`Tests need Debian packages ${missing.join(', ')}; install them with: ${command}`);
}
