import { readdirSync, statSync } from 'node:fs';
import { createHistogram } from 'node:perf_hooks';
import { collectDefaultMetrics, Gauge, type Registry } from 'prom-client';

/**
 * How often the event-loop lag is sampled by the timer of collectRuntimeMetrics. prom-client's own
 * monitor (monitorEventLoopDelay at 10 ms) wakes the process 100 times a second, about 0.5 % of a core
 * here when idle; a wake-up is what an idle process pays for (bench/runtime-cost.ts), so one per second
 * still sees any stall that matters for a scrape or a report.
 */
export const LAG_SAMPLE_MS = 1000;

// prom-client starts its 10 ms monitor in collectDefaultMetrics and offers no way to leave it out: at
// this resolution (~24.8 days, the largest a timer takes) its timer never fires; its gauges are replaced.
const NEVER_MS = 2 ** 31 - 1;
const LAG_HIGHEST_NS = 3600e9;

const LAG_STATS = [
  ['min', 'The minimum', (h: Lag) => h.min],
  ['max', 'The maximum', (h: Lag) => h.max],
  ['mean', 'The mean', (h: Lag) => h.mean],
  ['stddev', 'The standard deviation', (h: Lag) => h.stddev],
  ['p50', 'The 50th percentile', (h: Lag) => h.percentile(50)],
  ['p90', 'The 90th percentile', (h: Lag) => h.percentile(90)],
  ['p99', 'The 99th percentile', (h: Lag) => h.percentile(99)],
] as const;
type Lag = ReturnType<typeof createHistogram>;

/** The runtime metrics of a process whose own timer records the event-loop lag (runtimeMetrics). */
export interface RuntimeMetrics {
  /** One lag sample: how late (ms) a timer of the caller's fired. */
  recordLag(lateMs: number): void;
}

/**
 * prom-client's default process and Node.js metrics (`process_*`, `nodejs_*`, names unchanged) for
 * the bridge and the exporter, without what makes an idle process busy:
 * - `nodejs_eventloop_lag_{min,max,mean,stddev,p50,p90,p99}_seconds` come from a timer every
 *   LAG_SAMPLE_MS that records how late it fired (since the previous scrape; 0 when none fired);
 * - the `nodejs_active_*_total` gauges go: a counter's suffix on a gauge, which `promtool check metrics` rejects;
 * - `process_open_fds` is one stat of /proc/self/fd (openFdCount), not prom-client's readdir of it;
 * - `nodejs_active_handles` and `nodejs_active_resources` count the runtime's lists in runs (countByType).
 * Returns the stop of the sampling timer (it is unref'd: it never keeps a process alive).
 */
export function collectRuntimeMetrics(registry: Registry): () => void {
  const metrics = runtimeMetrics(registry, `a timer due every ${LAG_SAMPLE_MS} ms`);
  let due = performance.now() + LAG_SAMPLE_MS;
  const timer = setInterval(() => {
    const now = performance.now();
    metrics.recordLag(now - due);
    due = now + LAG_SAMPLE_MS;
  }, LAG_SAMPLE_MS);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * The same metrics, the lag fed by the caller's own periodic timer (the bridge's tick, bridge/state/
 * bridge-tick.ts): a process that wakes anyway samples at no extra wake-up. `timer` names it in HELP.
 */
export function runtimeMetrics(registry: Registry, timer: string): RuntimeMetrics {
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: NEVER_MS });
  for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'])
    registry.removeSingleMetric(name);
  // Where prom-client registered them (it checks that the runtime has each list).
  const handles = (process as { _getActiveHandles?: () => unknown[] })._getActiveHandles;
  if (handles !== undefined) activeByType(registry, ACTIVE_HANDLES, () => handles.call(process), handleType);
  activeByType(registry, ACTIVE_RESOURCES, () => process.getActiveResourcesInfo(), resourceType);
  // prom-client registers it on Linux only (the only system with /proc/self/fd).
  if (registry.getSingleMetric('process_open_fds') !== undefined) {
    registry.removeSingleMetric('process_open_fds');
    new Gauge({
      name: 'process_open_fds',
      help: 'Number of open file descriptors.',
      registers: [registry],
      collect() {
        const count = openFdCount();
        if (count !== undefined) this.set(count);
      },
    });
  }

  // Up to an hour, 2 significant figures: a small table (the default range to 2^53 ns at 3 figures is ~0.4 MB).
  const lag = createHistogram({ lowest: 1, highest: LAG_HIGHEST_NS, figures: 2 });

  // One collect, on the first gauge (the registry reads them in order), sets all seven and starts a fresh window.
  const gauges: { gauge: Gauge; read: (h: Lag) => number }[] = [];
  const collect = () => {
    for (const { read, gauge } of gauges) gauge.set(lag.count === 0 ? 0 : read(lag) / 1e9);
    lag.reset();
  };
  for (const [stat, what, read] of LAG_STATS) {
    const name = `nodejs_eventloop_lag_${stat}_seconds`;
    registry.removeSingleMetric(name);
    const help = `${what} of how late ${timer} fired, since the last scrape, in seconds.`;
    const gauge = new Gauge({ name, help, registers: [registry], ...(gauges.length === 0 && { collect }) });
    gauges.push({ gauge, read });
  }
  return {
    recordLag(lateMs) {
      // In nanoseconds, as monitorEventLoopDelay records; the histogram takes integers in [1, highest].
      lag.record(Math.min(LAG_HIGHEST_NS, Math.max(1, Math.round(lateMs * 1e6))));
    },
  };
}

// prom-client's names and help (lib/metrics/processHandles.js, processResources.js): dashboards know them.
const ACTIVE_HANDLES = {
  name: 'nodejs_active_handles',
  help: 'Number of active libuv handles grouped by handle type. Every handle type is C++ class name.',
};
const ACTIVE_RESOURCES = {
  name: 'nodejs_active_resources',
  help: 'Number of active resources that are currently keeping the event loop alive, grouped by async resource type.',
};

/** A handle's type as prom-client names it: its constructor (the same one for a run of handles of one kind). */
const handleType = (handle: unknown): unknown =>
  handle ? (handle as { constructor?: unknown }).constructor : undefined;
const resourceType = (resource: string): unknown => resource;

/** Replaces prom-client's gauge `name` by one whose collect counts `list()` with countByType. */
function activeByType<T>(
  registry: Registry,
  { name, help }: { name: string; help: string },
  list: () => readonly T[],
  typeOf: (item: T) => unknown,
): void {
  if (registry.getSingleMetric(name) === undefined) return;
  registry.removeSingleMetric(name);
  new Gauge({
    name,
    help,
    labelNames: ['type'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [type, count] of countByType(list(), typeOf)) this.set({ type }, count);
    },
  });
}

/**
 * Items of `items` per type name, as prom-client counts them: the type of a handle is its constructor's
 * name (none: not counted), of a resource the string itself. With 10 000 agents the lists hold 10 000
 * sockets each scrape, mostly in runs of one type (the runtime lists them in creation order): a type is
 * compared with the previous item's (`===`, no hashing of a fresh string or name lookup per item) and
 * counted into the map once per run. prom-client's counting by plain-object key was ~6 ms of each
 * 10 000-node scrape in a `--cpu-prof` of the bridge, its listing itself ~7 ms (docs/hot-path.md).
 */
export function countByType<T>(items: readonly T[], typeOf: (item: T) => unknown): Map<string, number> {
  const counts = new Map<string, number>();
  let run: unknown;
  let length = 0;
  const flush = () => {
    if (length === 0 || run === undefined || run === null) return;
    const type = typeof run === 'string' ? run : (run as { name?: unknown }).name;
    if (typeof type === 'string') counts.set(type, (counts.get(type) ?? 0) + length);
  };
  for (let i = 0; i < items.length; i += 1) {
    const type = typeOf(items[i]!);
    if (type === run) {
      length += 1;
      continue;
    }
    flush();
    run = type;
    length = 1;
  }
  flush();
  return counts;
}

/**
 * Open descriptors of this process. prom-client lists /proc/self/fd per scrape: at 10 000 agents
 * (10 000 sockets) that readdir held the event loop ~10 ms of each scrape (measured with --cpu-prof).
 * Linux (6.2 on) gives the count as the directory's size, one stat; older kernels say 0, then the listing
 * (minus the descriptor the listing itself held). undefined if neither can be read.
 */
export function openFdCount(): number | undefined {
  try {
    const size = statSync('/proc/self/fd').size;
    return size > 0 ? size : readdirSync('/proc/self/fd').length - 1;
  } catch {
    return undefined;
  }
}
