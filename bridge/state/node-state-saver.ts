import type { Logger } from '../../lib/logger.ts';
import { plural } from '../../lib/plural.ts';
import { RateLimitedLog } from '../../lib/rate-limited-log.ts';
import type { SelfMetrics } from '../self-metrics.ts';
import { restoreNodeState, saveNodeState, type StateFileBounds } from './node-state-file.ts';
import type { NodeTable } from './node-table.ts';

export interface NodeStateSaver {
  /** Stop the timer and save once more (call after ingest has stopped, so the save is the last word). */
  stop(): Promise<void>;
}

export interface NodeStateOptions extends StateFileBounds {
  readonly path: string;
  readonly intervalMs: number;
  readonly now: () => number;
}

/**
 * Restore the table from the state file, then save it every interval and at stop. Restored nodes
 * keep their real last report time: a node that was down is still down, one that was up is judged
 * by --down-after against the time it really reported, and its values leave /metrics when that is past.
 */
export async function startNodeStateSaver(
  table: NodeTable,
  options: NodeStateOptions,
  metrics: SelfMetrics,
  log: Logger,
): Promise<NodeStateSaver> {
  const restored = await restoreNodeState(options.path, table, options, options.now());
  metrics.stateRestoredNodes.set(restored.restored);
  for (const [reason, n] of restored.dropped) metrics.stateRestoreDropped.labels(reason).inc(n);
  if (restored.read.kind === 'invalid') {
    metrics.stateRestoreDropped.labels('invalid_file').inc();
    log.warn(
      `Ignoring the node state file "${options.path}" (${restored.read.problem}): starting with an empty node table; the next save replaces it`,
    );
  } else if (restored.read.kind === 'ok') {
    const age = Math.max(0, Math.round((options.now() - restored.read.savedAt) / 1000));
    const dropped = [...restored.dropped].map(([reason, n]) => `${n} ${reason}`).join(', ');
    log.info(
      `Restored ${plural(restored.restored, 'node')} from "${options.path}" (saved ${age} s ago)${dropped === '' ? '' : `; not restored: ${dropped}`}`,
    );
  }

  const failures = new RateLimitedLog(log);
  let saving: Promise<void> | undefined;
  const save = (): Promise<void> => {
    // One save at a time; a tick that finds one running skips (the next tick catches up).
    saving ??= saveNodeState(options.path, table.nodes(), options.now())
      .then(
        () => metrics.stateSaves.labels('ok').inc(),
        (error: Error) => {
          metrics.stateSaves.labels('failed').inc();
          failures.warn('save', `Cannot save the node table to "${options.path}" (--state-file): ${error.message}`);
        },
      )
      .finally(() => (saving = undefined));
    return saving;
  };
  const timer = setInterval(() => void save(), options.intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await saving;
      await save();
    },
  };
}
