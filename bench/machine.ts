import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg, release, totalmem } from 'node:os';
import { which } from './children.ts';

function firstLine(command: string, args: readonly string[]): string {
  const run = spawnSync(command, args, { encoding: 'utf8', timeout: 5000 });
  return `${run.stdout}${run.stderr}`.split('\n')[0]?.trim() ?? '';
}

function cpuInfo(field: string): string {
  const match = new RegExp(`^${field}\\s*: (.*)$`, 'm').exec(readFileSync('/proc/cpuinfo', 'utf8'));
  return match?.[1]?.trim() ?? 'unknown';
}

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

/** What the numbers were measured on: printed and written at the top of docs/benchmarks.md. */
export function describeMachine(): string[] {
  const peer = (command: string, args: readonly string[]) =>
    which(command) === undefined ? `${command}: not installed` : firstLine(command, args);
  return [
    `CPU: ${availableParallelism()} × ${cpuInfo('model name')} (${Math.round(Number(cpuInfo('cpu MHz')))} MHz as reported), ${Math.round(totalmem() / 2 ** 30)} GiB RAM`,
    `OS: Debian ${read('/etc/debian_version')}, Linux ${release()}; Node ${process.version}`,
    `Load average when the run started: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (the machine is shared; see the ranges)`,
    `Peers: ${peer('prometheus-pushgateway', ['--version'])}; ${peer('prometheus-node-exporter', ['--version'])}; ${peer('influxd', ['version'])}; VictoriaMetrics ${which('victoria-metrics') === undefined ? 'not installed' : '(Debian victoria-metrics; it prints no version)'}`,
    `Commit: ${firstLine('git', ['rev-parse', '--short', 'HEAD'])}${firstLine('git', ['status', '--porcelain', '--untracked-files=no']) === '' ? '' : ' (with uncommitted changes)'}`,
  ];
}
