import { afterEach, describe, expect, test, vi } from 'vitest';
import { exporterCommand } from '../../../cli/exporter.ts';
import { formatUsage } from '../../../cli/usage.ts';
import { exporterOptionSpecs } from '../../../exporter/options.ts';
import { parseLine } from '../../../protocol/line.ts';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (out.push(String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => (err.push(String(chunk)), true));
  return { out, err };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('obsmon exporter', () => {
  test('--once prints exactly one valid report line for the given node and exits 0', async () => {
    const { out } = capture();
    const status = await exporterCommand(['--once', '--node', 't1'], {});
    expect(status).toBe(0);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/^t1 \d+ cpu=[\d.]+ mem=[\d.]+ .*procs=\d+\n$/);
    const parsed = parseLine(out[0]!.trimEnd());
    expect(parsed.ok).toBe(true);
  });

  test('--help prints usage from the option specs and exits 0', async () => {
    const { out } = capture();
    expect(await exporterCommand(['--help'], {})).toBe(0);
    const text = out.join('');
    for (const flag of [
      '--server <host:port>',
      '--node <name>',
      '--interval <seconds>',
      '--queue-max-age',
      '--[no-]once',
      'OBSMON_METRICS_PORT',
    ]) {
      expect(text).toContain(flag);
    }
  });

  test.each([
    { name: 'a bad interval', argv: ['--interval', '0.01'], message: /--interval "0.01".*between 0.1 and 86400/ },
    { name: 'a server without a port', argv: ['--server', 'bridge'], message: /--server.*host:port/ },
    {
      name: 'an unknown collector',
      argv: ['--collectors', 'cpu,tpu'],
      message: /--collectors.*expected collectors among/,
    },
    { name: 'auto mixed with mounts', argv: ['--mounts', 'auto,/data'], message: /--mounts.*auto cannot be combined/ },
    { name: 'an unknown flag', argv: ['--nope'], message: /nope/ },
    {
      name: 'a --queue-dir that is a file',
      argv: ['--queue-dir', process.execPath, '--server', '127.0.0.1:9'],
      message: /Queue directory ".*" \(--queue-dir\) cannot be used: EEXIST/,
    },
    {
      name: 'a tiny --queue-max-bytes',
      argv: ['--queue-max-bytes', '100'],
      message: /--queue-max-bytes "100".*4096\.\.1073741824/,
    },
  ])('rejects $name with one line on stderr and status 2', async ({ argv, message }) => {
    const { err } = capture();
    expect(await exporterCommand(argv, {})).toBe(2);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(message);
    expect(err[0]!.trimEnd()).not.toContain('\n');
  });

  test('takes options from OBSMON_* variables', async () => {
    const { out } = capture();
    expect(await exporterCommand(['--once'], { OBSMON_NODE: 'from-env', OBSMON_COLLECTORS: 'memory,processes' })).toBe(
      0,
    );
    expect(out[0]).toMatch(/^from-env \d+ mem=[\d.]+( swap=[\d.]+)? procs=\d+\n$/);
  });
});

describe('formatUsage', () => {
  test('lists every option with its placeholder, default and environment variable', () => {
    const text = formatUsage('obsmon exporter', 'Summary.', exporterOptionSpecs);
    expect(text).toMatch(/^Usage: obsmon exporter \[options\]\n\nSummary\.\n/);
    expect(text).toMatch(
      /--server <host:port> +Bridge to send to; several = failover order\n +default: 127\.0\.0\.1:7070; env OBSMON_SERVER; repeatable or comma-separated\n/,
    );
    expect(text).toMatch(/--\[no-\]once +Print the line .*\n +default: false; env OBSMON_ONCE\n/);
    expect(text).toMatch(/--queue-max-reports <n> +.*\n +default: 8640; env OBSMON_QUEUE_MAX_REPORTS\n/);
  });
});
