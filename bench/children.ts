import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';

/** A spawned process the benchmark owns: its log tail, and a stop that waits for the exit. */
export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  readonly pid: number;
  /** The last few KB of stdout+stderr, for error messages. */
  output(): string;
  exited(): boolean;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

const owned = new Set<ChildProcess>();

// Whatever ends the run (an error, Ctrl-C, a kill by the CI), no child outlives it.
function killAll(): void {
  for (const child of owned) child.kill('SIGKILL');
  owned.clear();
}
process.once('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    killAll();
    process.exit(130);
  });
}

/** Make `proc` the run's: killed when the run ends, stopped by stopAll(). */
export function own(proc: ChildProcess): void {
  owned.add(proc);
  proc.once('exit', () => owned.delete(proc));
}

export function startChild(name: string, command: string, args: readonly string[], options: SpawnOptions = {}): Child {
  const proc = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], ...options });
  if (proc.pid === undefined) throw new Error(`Cannot start ${name} (${command})`);
  own(proc);
  let tail = '';
  const keep = (d: Buffer) => (tail = `${tail}${d.toString()}`.slice(-4000));
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  // Children outlive a broken pipe of ours only to be killed; ignore the EPIPE.
  proc.stdin?.on('error', () => {});
  const exited = () => proc.exitCode !== null || proc.signalCode !== null;
  return {
    name,
    process: proc,
    pid: proc.pid,
    output: () => tail,
    exited,
    stop: async (signal = 'SIGTERM') => {
      if (exited()) return;
      const done = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill(signal);
      const timer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await done;
      clearTimeout(timer);
    },
  };
}

/** Stop every child still running (the end of a section, or of the run). */
export async function stopAll(): Promise<void> {
  await Promise.all(
    [...owned].map(
      (proc) =>
        new Promise<void>((resolve) => {
          if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
          proc.once('exit', () => resolve());
          proc.kill('SIGTERM');
          setTimeout(() => proc.kill('SIGKILL'), 5000).unref();
        }),
    ),
  );
}

/** Absolute path of a command, or undefined when it is not installed. */
export function which(command: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).stdout.trim();
  return found === '' ? undefined : found;
}

/** `node --import tsx <script>`: how the benchmark runs its own TypeScript helpers as processes. */
export function nodeScript(
  script: string,
  args: readonly string[],
  nodeFlags: readonly string[] = [],
): [string, string[]] {
  return [process.execPath, [...nodeFlags, '--import', 'tsx', new URL(script, import.meta.url).pathname, ...args]];
}

/** Scripts bundled in this run, by source path: each is built once. */
const compiled = new Map<string, string>();

/**
 * `node <script compiled to one JavaScript file>`: for a helper that stands for obsmon's floor (the bare
 * line splitter), which must run as the bridge does (compiled, bin/obsmon.js), not through tsx's loader.
 * Bundled once per run into a temporary directory (removed with the machine's tmp; a few KB).
 */
export function compiledScript(
  script: string,
  args: readonly string[],
  nodeFlags: readonly string[] = [],
): [string, string[]] {
  const source = new URL(script, import.meta.url).pathname;
  let outfile = compiled.get(source);
  if (outfile === undefined) {
    outfile = join(mkdtempSync(join(tmpdir(), 'obsmon-bench-')), 'script.mjs');
    buildSync({
      entryPoints: [source],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile,
      logLevel: 'error',
    });
    compiled.set(source, outfile);
  }
  return [process.execPath, [...nodeFlags, outfile, ...args]];
}
