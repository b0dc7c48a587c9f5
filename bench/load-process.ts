import { nodeScript, startChild, type Child } from './children.ts';
import { GaveUp, waitFor } from './net-util.ts';

export interface LoadCounts {
  readonly sent: number;
  readonly ok: number;
  readonly failed: number;
  readonly skipped: number;
  /** Sum of the durations of successful pushes (pushgateway mode), ms. */
  readonly pushMs: number;
  /** Groups created by the preload (pushgateway mode). */
  readonly groups: number;
}

export interface LoadProcess {
  readonly child: Child;
  /** The newest cumulative counts the generator printed (every 250 ms). */
  counts(): LoadCounts;
  /** Flood mode: write `lines` reports over fresh connections; resolves when the server has read them all. */
  round(lines: number): Promise<{ lines: number; ms: number }>;
  stop(): Promise<void>;
}

/** Start bench/push-load.ts in `mode` with `args`; resolves once it is connected (and preloaded). */
export async function startLoad(
  mode: 'flood' | 'paced' | 'pushgateway',
  args: readonly (string | number)[],
): Promise<LoadProcess> {
  const [command, argv] = nodeScript('./push-load.ts', [mode, ...args.map(String)]);
  const child = startChild(`load generator (${mode})`, command, argv);
  let latest: LoadCounts = { sent: 0, ok: 0, failed: 0, skipped: 0, pushMs: 0, groups: 0 };
  let ready = false;
  let buffer = '';
  const rounds: ((r: { lines: number; ms: number }) => void)[] = [];
  child.process.stdout!.on('data', (d: Buffer) => {
    buffer += d.toString();
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      const parsed = JSON.parse(line) as LoadCounts & { ready?: boolean; done?: boolean; lines?: number; ms?: number };
      if (parsed.ready === true) ready = true;
      if (parsed.done === true) rounds.shift()?.({ lines: parsed.lines ?? 0, ms: parsed.ms ?? 0 });
      else latest = parsed;
    }
  });
  await waitFor(
    `the load generator (${mode}) to connect`,
    () => {
      if (child.exited()) throw new GaveUp(`The load generator exited: ${child.output()}`);
      return ready;
    },
    180_000,
  );
  return {
    child,
    counts: () => latest,
    round: (lines) =>
      new Promise((resolve, reject) => {
        rounds.push(resolve);
        child.process.stdin!.write(`go ${Math.round(lines)}\n`);
        child.process.once('exit', () => reject(new Error(`The load generator exited: ${child.output()}`)));
      }),
    stop: async () => {
      child.process.stdin!.end();
      await child.stop('SIGKILL');
    },
  };
}
