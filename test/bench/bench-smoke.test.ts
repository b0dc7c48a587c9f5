import { spawn } from 'node:child_process';
import { expect, test } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;

/**
 * Benchmarks are scripts, not tests: this only proves `npm run bench:smoke` still runs every
 * benchmark end to end (real bridge, generator, peers, databases) and prints its tables. No timing
 * is asserted; the numbers of a smoke run mean nothing.
 */
test('the benchmark smoke run exits 0 and prints every table', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--smoke'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  expect(code, stderr.slice(-2000)).toBe(0);
  for (const title of [
    'Ingest throughput',
    'Steady state',
    'Peer: Prometheus Pushgateway',
    'Storage path',
    'Bridge at rest and with the LAMOST fleet',
    'Agent cost',
    "Where a report's CPU goes",
    'Rendering the node series',
    'Targets (issue #15; the Pushgateway rows from #8)',
  ]) {
    expect(stdout).toContain(`### ${title}`);
  }
  // Every server answered: no table row reports a failure to count.
  expect(stdout).not.toContain('**no**');
}, 240_000);
