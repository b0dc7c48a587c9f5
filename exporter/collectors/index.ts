import type { Collector } from './collector.ts';
import { clockSyncCollector } from './clock-sync.ts';
import { cpuCoresCollector } from './cpu-cores.ts';
import { cpuWaitCollector } from './cpu-wait.ts';
import { cpuCollector } from './cpu.ts';
import { filesystemHealthCollector } from './filesystem-health.ts';
import { filesystemCollector } from './filesystem.ts';
import { gpuCollector } from './gpu.ts';
import { loadLongCollector } from './load-long.ts';
import { loadCollector } from './load.ts';
import { memoryCollector } from './memory.ts';
import { namedProcessesCollector } from './named-processes.ts';
import { networkErrorsCollector } from './network-errors.ts';
import { networkCollector } from './network.ts';
import { processesCollector } from './processes.ts';
import { temperatureCollector } from './temperature.ts';
import { textfileCollector } from './textfile.ts';
import { uptimeCollector } from './uptime.ts';

/**
 * Every collector, in the order their keys appear in a report. The default set produces the
 * standard report (cpu mem disk rx tx load1 procs, plus swap and temp where they exist), which stays
 * within 128 bytes for node names up to 16 characters. `named-processes` and `textfile` are on but send
 * nothing unless `--process` or `--textfile-dir` asks for it.
 */
export const COLLECTORS: readonly Collector[] = [
  cpuCollector,
  cpuWaitCollector,
  cpuCoresCollector,
  memoryCollector,
  filesystemCollector,
  filesystemHealthCollector,
  networkCollector,
  networkErrorsCollector,
  loadCollector,
  loadLongCollector,
  processesCollector,
  namedProcessesCollector,
  temperatureCollector,
  gpuCollector,
  uptimeCollector,
  clockSyncCollector,
  textfileCollector,
];

export const COLLECTOR_NAMES = COLLECTORS.map((c) => c.name);

export const DEFAULT_COLLECTORS = COLLECTORS.filter((c) => c.defaultEnabled).map((c) => c.name);
