import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** The real promtool (Debian package `prometheus`). Missing is a failure, never a skip. */
export function promtoolPath(): string {
  for (const candidate of ['/usr/bin/promtool', '/usr/local/bin/promtool']) {
    if (existsSync(candidate)) return candidate;
  }
  const which = spawnSync('sh', ['-c', 'command -v promtool'], { encoding: 'utf8' });
  const found = which.stdout.trim();
  if (found !== '') return found;
  throw new Error('promtool not found: install the Debian package "prometheus" (.ci/run does)');
}

/** Run `promtool check metrics` on an exposition; returns its exit status and everything it printed. */
export function checkMetrics(exposition: string): { status: number; output: string } {
  const result = spawnSync(promtoolPath(), ['check', 'metrics'], {
    input: exposition,
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { status: result.status ?? -1, output: `${result.stdout}${result.stderr}` };
}
