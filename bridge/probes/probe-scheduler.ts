import { setMaxListeners } from 'node:events';
import type { Logger } from '../../lib/logger.ts';
import type { Report } from '../../protocol/line.ts';
import type { LineHandler } from '../ingest/line-handler.ts';
import type { SelfMetrics } from '../self-metrics.ts';
import { sameProbe, type InventoryEntry, type ProbeSpec } from '../state/inventory.ts';
import { httpProbe } from './http-probe.ts';
import type { ProbeResult } from './probe-result.ts';
import { tcpProbe } from './tcp-probe.ts';

interface Scheduled {
  readonly name: string;
  readonly spec: ProbeSpec;
  readonly timer: NodeJS.Timeout;
  /** Last result was down (undefined before the first): only changes are logged. */
  down: boolean | undefined;
}

/** Decimals of probe_rtt in protocol/keys.ts: 0.1 ms. */
const RTT_SCALE = 1e4;

function runProbe(spec: ProbeSpec, signal: AbortSignal): Promise<ProbeResult> {
  const timeoutMs = spec.timeoutSeconds * 1000;
  return spec.kind === 'tcp'
    ? tcpProbe(spec.target, timeoutMs, signal)
    : httpProbe(spec.target, spec.expectStatus, timeoutMs, signal);
}

/**
 * Runs the probes of the inventory's agentless devices and reports each result for the device's node
 * through LineHandler.submit, the path of an agent's line: /metrics, storage, the stream, the page and
 * RTS2 see `probe_up` (1/0) and `probe_rtt` as any node's values. A failed probe still reports
 * (probe_up 0), so the node stays up as a node and ObsmonProbeDown says what is wrong.
 * At most `maxConcurrent` run at once; the rest wait their turn, and a probe still waiting (or
 * running) when it is due again counts as skipped.
 */
export class ProbeScheduler {
  private readonly scheduled = new Map<string, Scheduled>();
  // By object, not name: a probe replaced by a reload is a new one even while the old still runs.
  private readonly waiting = new Set<Scheduled>();
  private readonly running = new Set<Scheduled>();
  private readonly stopping = new AbortController();

  constructor(
    private readonly lines: Pick<LineHandler, 'submit'>,
    private readonly metrics: SelfMetrics,
    private readonly log: Logger,
    private readonly options: { readonly maxConcurrent: number; readonly now: () => number },
  ) {
    // One abort listener per running probe: bounded by maxConcurrent, not a leak.
    setMaxListeners(options.maxConcurrent + 1, this.stopping.signal);
  }

  /** Start, stop or restart probes to match the inventory (start-up, SIGHUP); unchanged ones keep their schedule. */
  update(inventory: ReadonlyMap<string, InventoryEntry>): void {
    if (this.stopping.signal.aborted) return;
    for (const [name, s] of this.scheduled) {
      const next = inventory.get(name)?.probe;
      if (!sameProbe(s.spec, next)) this.remove(name);
    }
    for (const entry of inventory.values()) {
      if (entry.probe === undefined || this.scheduled.has(entry.name)) continue;
      const name = entry.name;
      const timer = setInterval(() => this.due(name), entry.probe.intervalSeconds * 1000);
      timer.unref();
      this.scheduled.set(name, { name, spec: entry.probe, timer, down: undefined });
      this.due(name);
    }
    this.metrics.probes.set(this.scheduled.size);
  }

  /** Stop every probe; one in flight is aborted and reports nothing. */
  stop(): void {
    this.stopping.abort();
    for (const name of [...this.scheduled.keys()]) this.remove(name);
    this.metrics.probes.set(0);
  }

  private remove(name: string): void {
    const s = this.scheduled.get(name);
    if (s === undefined) return;
    clearInterval(s.timer);
    this.scheduled.delete(name);
    this.waiting.delete(s);
  }

  private due(name: string): void {
    const s = this.scheduled.get(name);
    if (s === undefined) return;
    if (this.waiting.has(s) || this.running.has(s)) {
      this.metrics.probeRuns.labels(s.spec.kind, 'skipped').inc();
      return;
    }
    if (this.running.size >= this.options.maxConcurrent) this.waiting.add(s);
    else void this.run(s);
  }

  private async run(s: Scheduled): Promise<void> {
    this.running.add(s);
    try {
      const result = await runProbe(s.spec, this.stopping.signal);
      // Removed (reload) or replaced while it ran: its result belongs to no configured probe.
      if (this.scheduled.get(s.name) === s) this.record(s, result);
    } finally {
      this.running.delete(s);
      const next = this.waiting.values().next();
      if (!next.done) {
        this.waiting.delete(next.value);
        void this.run(next.value);
      }
    }
  }

  private record(s: Scheduled, result: ProbeResult): void {
    this.metrics.probeRuns.labels(s.spec.kind, result.up ? 'up' : 'down').inc();
    const report: Report = {
      node: s.name,
      timestamp: this.options.now() / 1000,
      samples: result.up
        ? [
            { key: 'probe_up', value: 1 },
            { key: 'probe_rtt', value: Math.min(3600, Math.round(result.rttSeconds * RTT_SCALE) / RTT_SCALE) },
          ]
        : [{ key: 'probe_up', value: 0 }],
    };
    this.lines.submit(report, `probe ${s.spec.kind} ${s.spec.target}`);
    if (!result.up && s.down !== true)
      this.log.warn(`Probe of "${s.name}" (${s.spec.kind} ${s.spec.target}) failed: ${result.reason}`);
    if (result.up && s.down === true)
      this.log.info(`Probe of "${s.name}" (${s.spec.kind} ${s.spec.target}) answers again`);
    s.down = !result.up;
  }
}
