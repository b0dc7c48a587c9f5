import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { MAX_GPUS, NvidiaSmiStream } from '../../../../exporter/sources/nvidia-smi.ts';
import { createLogger } from '../../../../lib/logger.ts';
import { waitFor } from '../../../helpers/wait-for.ts';

/**
 * The child handling with a fake `nvidia-smi` on PATH (this machine has no GPU): a shell script that
 * records its arguments and each start, then prints the fixture lines every `-l` seconds, the way
 * the real one does; variants die after one round, stay silent, or print too many GPUs.
 */
let dir: string;
const streams: NvidiaSmiStream[] = [];

function fake(body: string): void {
  writeFileSync(join(dir, 'nvidia-smi'), `#!/bin/sh\necho "$@" >> "${join(dir, 'starts')}"\n${body}\n`);
  chmodSync(join(dir, 'nvidia-smi'), 0o755);
}

const LOOP = `while :; do
  echo "0, 87, 10240, 24576, 71"
  echo "1, [N/A], 3, 24576, 34"
  sleep 1
done`;

function stream(extra: { now?: () => number; path?: string } = {}) {
  const logs: string[] = [];
  const s = new NvidiaSmiStream({
    intervalSeconds: 10,
    log: createLogger('gpu', 'debug', (line) => logs.push(line)),
    env: { ...process.env, PATH: extra.path ?? `${dir}:${process.env['PATH'] ?? ''}` },
    backoff: { initialMs: 50, maxMs: 200 },
    ...(extra.now !== undefined && { now: extra.now }),
  });
  streams.push(s);
  return { s, logs };
}

const starts = () => {
  try {
    return readFileSync(join(dir, 'starts'), 'utf8').trimEnd().split('\n');
  } catch {
    return [];
  }
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'obsmon-nvidia-smi-'));
});

afterEach(async () => {
  for (const s of streams.splice(0)) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('NvidiaSmiStream with a fake nvidia-smi on PATH', () => {
  test('one child, asked for the query in CSV every interval; its newest line per GPU is read', async () => {
    fake(LOOP);
    const { s } = stream();
    const gpus = await waitFor('both GPUs', () => (s.gpus().length === 2 ? s.gpus() : undefined), 20_000, 50);
    expect(gpus).toEqual([
      { gpu: '0', utilizationPercent: 87, memoryUsedPercent: (10240 / 24576) * 100, celsius: 71 },
      { gpu: '1', memoryUsedPercent: (3 / 24576) * 100, celsius: 34 },
    ]);
    expect(starts()).toEqual([
      '--query-gpu=index,utilization.gpu,memory.used,memory.total,temperature.gpu --format=csv,noheader,nounits -l 10',
    ]);
    expect(s.starts).toBe(1);
    expect(s.state).toBe('running');
  });

  test('a child that dies is started again after a backoff, and its values come back', async () => {
    fake('echo "0, 50, 1, 2, 60"\necho "NVIDIA-SMI has failed because the GPU fell off the bus" >&2\nexit 9');
    const { s, logs } = stream();
    await waitFor('three starts', () => s.starts >= 3, 20_000, 20);
    expect(s.gpus()).toEqual([{ gpu: '0', utilizationPercent: 50, memoryUsedPercent: 50, celsius: 60 }]);
    // Logged once (rate-limited), with nvidia-smi's own reason.
    expect(logs.filter((l) => l.includes('nvidia-smi exited (code 9: NVIDIA-SMI has failed'))).toHaveLength(1);
  });

  test('absent from PATH: off for good, logged once, never retried', async () => {
    const { s, logs } = stream({ path: dir });
    // `--once` waits for the first line: not for its whole allowance when there will be none.
    await Promise.race([
      s.firstReading(600_000),
      new Promise((_, reject) => setTimeout(() => reject(new Error('firstReading still waits')), 10_000)),
    ]);
    expect(s.state).toBe('absent');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(s.starts).toBe(1);
    expect(s.gpus()).toEqual([]);
    expect(logs.filter((l) => l.includes('nvidia-smi is not on PATH'))).toHaveLength(1);
  });

  test('old readings are left out, and a child silent for 3 intervals (30 s at least) is killed and started again', async () => {
    fake('echo "0, 50, 1, 2, 60"\nexec sleep 1000');
    const clock = { ms: 0 };
    const { s, logs } = stream({ now: () => clock.ms });
    await waitFor('the first line', () => s.gpus().length === 1, 20_000, 20);
    clock.ms = 22_001; // two intervals and 2 s later: stale
    expect(s.gpus()).toEqual([]);
    clock.ms = 30_001;
    s.gpus();
    expect(logs.some((l) => l.includes('nvidia-smi printed nothing for 30 s; restarting it'))).toBe(true);
    await waitFor('a second start', () => s.starts === 2, 20_000, 20);
    await waitFor('its line', () => s.gpus().length === 1, 20_000, 20);
  });

  test(`at most ${MAX_GPUS} GPUs are kept, however many lines a child prints`, async () => {
    fake(`i=0; while [ $i -lt 40 ]; do echo "$i, 1, 1, 2, 30"; i=$((i+1)); done\nexec sleep 1000`);
    const { s } = stream();
    await waitFor('the lines', () => s.gpus().length >= MAX_GPUS, 20_000, 20);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(s.gpus().map((g) => g.gpu)).toEqual(Array.from({ length: MAX_GPUS }, (_, i) => String(i)));
  });

  test('close stops the child and no restart follows', async () => {
    fake(LOOP);
    const { s } = stream();
    await waitFor('a line', () => s.gpus().length > 0, 20_000, 20);
    await s.close();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(s.state).toBe('closed');
    expect(s.starts).toBe(1);
  });
});
