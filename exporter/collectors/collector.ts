import type { Sample } from '../../protocol/line.ts';
import type { GpuSource, SystemSource } from '../sources/system-source.ts';

/** Settings shared by all collectors. */
export interface CollectorConfig {
  /** `auto` (physical interfaces, summed) or names to sum and also report one by one. */
  readonly interfaces: 'auto' | readonly string[];
  /** `--process`: names whose processes are counted; none = the named-processes collector is quiet. */
  readonly processes?: readonly string[];
  /** `--textfile-dir`, and where the textfile collector tells of the lines it skips (self-metrics). */
  readonly textfile?: TextfileConfig;
  /** The GPUs' newest readings (one nvidia-smi child for the agent's life); none = the gpu collector is quiet. */
  readonly gpus?: GpuSource;
  /** Monotonic clock in milliseconds, for rates. */
  readonly now: () => number;
}

export interface TextfileConfig {
  readonly dir: string;
  /** Called once per skipped line or file, with why (a closed set, see collectors/textfile.ts). */
  readonly skipped: (reason: string, where: string) => void;
}

/** One collector's memory between cycles; `previous` is undefined on the first cycle. */
export interface CollectorState<P = unknown> {
  readonly config: CollectorConfig;
  previous: P | undefined;
}

/** Maps readings of a SystemSource to protocol samples; no I/O of its own. */
export interface Collector<P = unknown> {
  /** Used by `--collectors` and in self-metrics labels. */
  readonly name: string;
  readonly defaultEnabled: boolean;
  /** Keys it may emit, for help and documentation. */
  readonly keys: readonly string[];
  collect(source: SystemSource, state: CollectorState<P>): Promise<Sample[]>;
}
