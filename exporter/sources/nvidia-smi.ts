import { spawn, type ChildProcess } from 'node:child_process';
import { Backoff, type BackoffOptions } from '../../lib/backoff.ts';
import type { Logger } from '../../lib/logger.ts';
import { RateLimitedLog } from '../../lib/rate-limited-log.ts';
import { NVIDIA_SMI_QUERY, parseNvidiaSmiLine } from './parsers/nvidia-smi.ts';
import type { GpuReading, GpuSource } from './system-source.ts';

export interface NvidiaSmiOptions {
  /** The agent's --interval: nvidia-smi prints every GPU this often (`-l`, whole seconds, at least 1). */
  readonly intervalSeconds: number;
  readonly log: Logger;
  /** Looked up on PATH; default `nvidia-smi`. */
  readonly command?: string;
  /** The child's environment (its PATH finds the command); default the agent's. */
  readonly env?: NodeJS.ProcessEnv;
  /** Between restarts of a child that died; default 1 s doubling to 5 min. */
  readonly backoff?: BackoffOptions;
  /** Monotonic clock, ms; default performance.now. */
  readonly now?: () => number;
  /** Told of every child started (self-metrics). */
  readonly onStart?: () => void;
}

/** GPUs kept at most (nvidia-smi numbers them 0...; a host has at most 16). */
export const MAX_GPUS = 16;
// A line longer than this is not nvidia-smi's (about 30 bytes): what is buffered of it is dropped.
const MAX_LINE_BYTES = 4096;
const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 1000, maxMs: 300_000 };

export type NvidiaSmiState = 'running' | 'waiting' | 'absent' | 'closed';

/**
 * One long-lived `nvidia-smi --query-gpu=... -l <interval>` child for the agent's whole life (one spawn,
 * not one per cycle: nvidia-smi takes 50-500 ms of CPU to start). The newest line per GPU is kept;
 * a cycle takes what is fresh (at most two intervals old). Off for good when nvidia-smi is not on
 * PATH (no GPU driver); a child that exits (driver reload, GPU reset) is started again with backoff,
 * and one that stays silent (a hung driver) is killed and started again.
 */
export class NvidiaSmiStream implements GpuSource {
  /** Children started so far (tests, logs). */
  starts = 0;
  private current: ChildProcess | undefined;
  private status: NvidiaSmiState = 'waiting';
  private readonly latest = new Map<string, { reading: GpuReading; at: number }>();
  private readonly backoff: Backoff;
  private readonly warnings: RateLimitedLog;
  private readonly now: () => number;
  private readonly intervalMs: number;
  private restartTimer: NodeJS.Timeout | undefined;
  private lastOutputAt = 0;
  private gotLine = false;
  private firstLine: (() => void) | undefined;

  constructor(private readonly options: NvidiaSmiOptions) {
    this.backoff = new Backoff(options.backoff ?? DEFAULT_BACKOFF);
    this.warnings = new RateLimitedLog(options.log);
    this.now = options.now ?? (() => performance.now());
    this.intervalMs = Math.max(1, Math.round(options.intervalSeconds)) * 1000;
    this.start();
  }

  get state(): NvidiaSmiState {
    return this.status;
  }

  /** Fresh readings, by GPU index; also kills a child that has printed nothing for too long. */
  gpus(): readonly GpuReading[] {
    const now = this.now();
    const silentMs = Math.max(30_000, 3 * this.intervalMs);
    if (this.current !== undefined && this.status === 'running' && now - this.lastOutputAt > silentMs) {
      this.warnings.warn('silent', `nvidia-smi printed nothing for ${Math.round(silentMs / 1000)} s; restarting it`);
      this.current.kill('SIGKILL');
    }
    const freshMs = 2 * this.intervalMs + 2000;
    return [...this.latest.values()]
      .filter((e) => now - e.at <= freshMs)
      .map((e) => e.reading)
      .sort((a, b) => Number(a.gpu) - Number(b.gpu));
  }

  /** Resolves at the first line (for `--once`), or after `ms`. */
  async firstReading(ms: number): Promise<void> {
    if (this.gotLine || this.status === 'absent' || this.status === 'closed') return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.firstLine = resolve;
      timer = setTimeout(resolve, ms);
    });
    clearTimeout(timer);
  }

  async close(): Promise<void> {
    this.status = 'closed';
    clearTimeout(this.restartTimer);
    const child = this.current;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), 2000)));
    if ((await Promise.race([exited, late])) === 'late') child.kill('SIGKILL');
    clearTimeout(timer);
  }

  private start(): void {
    const args = [
      `--query-gpu=${NVIDIA_SMI_QUERY.join(',')}`,
      '--format=csv,noheader,nounits',
      '-l',
      String(this.intervalMs / 1000),
    ];
    this.starts += 1;
    this.options.onStart?.();
    this.status = 'running';
    this.lastOutputAt = this.now();
    const child = spawn(this.options.command ?? 'nvidia-smi', args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(this.options.env !== undefined && { env: this.options.env }),
    });
    this.current = child;
    let pending = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      this.lastOutputAt = this.now();
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      if (pending.length > MAX_LINE_BYTES) pending = '';
      for (const line of lines) this.line(line);
    });
    child.stderr.setEncoding('utf8');
    // The last line only, bounded: it says why nvidia-smi gave up.
    child.stderr.on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-512)));
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') return; // also followed by 'exit' or 'close', handled there
      this.current = undefined;
      if (this.status === 'closed') return;
      this.status = 'absent';
      this.firstLine?.();
      this.options.log.info('nvidia-smi is not on PATH: no GPU values (the gpu collector stays quiet)');
    });
    child.once('close', (code, signal) => {
      if (this.current === child) this.current = undefined;
      if (this.status !== 'running') return;
      const why = stderr.trim().split('\n').pop() ?? '';
      const delay = this.backoff.next();
      this.status = 'waiting';
      this.warnings.warn(
        'exit',
        `nvidia-smi exited (${signal ?? `code ${code}`}${why === '' ? '' : `: ${why}`}); starting it again in ${Math.round(delay / 1000)} s`,
      );
      this.restartTimer = setTimeout(() => this.start(), delay);
      this.restartTimer.unref();
    });
  }

  private line(text: string): void {
    const reading = parseNvidiaSmiLine(text.replace(/\r$/, ''));
    if (reading === undefined) return;
    if (!this.latest.has(reading.gpu) && this.latest.size >= MAX_GPUS) return;
    this.latest.set(reading.gpu, { reading, at: this.now() });
    if (!this.gotLine) {
      this.gotLine = true;
      this.firstLine?.();
    }
    // A child that delivers is healthy: the next failure starts from the shortest delay again.
    this.backoff.reset();
  }
}
