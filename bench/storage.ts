import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { AcceptedReport } from '../bridge/state/node-table.ts';
import { DiskSpool } from '../bridge/store/disk-spool.ts';
import { GZIP_LEVEL, type WriteEndpoint } from '../bridge/store/endpoint.ts';
import { InfluxV1Endpoint } from '../bridge/store/influx-v1-endpoint.ts';
import { InfluxV2Endpoint } from '../bridge/store/influx-v2-endpoint.ts';
import { reportToLines } from '../bridge/store/line-protocol.ts';
import {
  DEFAULT_BATCH_SIZE,
  DEFAULT_FLUSH_INTERVAL_MS,
  DEFAULT_FSYNC_INTERVAL_MS,
  DEFAULT_RETRY_INITIAL_MS,
  DEFAULT_RETRY_MAX_MS,
  SpoolingWriter,
} from '../bridge/store/spooling-writer.ts';
import { silentLogger } from '../lib/logger.ts';
import { influxQl, startInfluxd, startVictoriaMetrics, type RealServer } from '../testkit/real-servers.ts';
import type { BenchConfig } from './bench-config.ts';
import { which } from './children.ts';
import type { Table } from './markdown-table.ts';
import { sleep } from './net-util.ts';
import { cpuSeconds } from './proc-stats.ts';
import { nodeName, standardSamples } from './report-lines.ts';
import { num, show, summarise } from './summary.ts';

/** Standard reports, `nodes` nodes per second of agent time, from `base` on. */
function reports(n: number, base: number, nodes = 1000): AcceptedReport[] {
  const out: AcceptedReport[] = [];
  for (let i = 0; i < n; i += 1)
    out.push({
      node: nodeName(i % nodes),
      timestamp: base + Math.floor(i / nodes),
      receivedAt: 0,
      samples: standardSamples(i),
    });
  return out;
}

/** Points of standard reports (one line each), as the store hands them to the writer. */
function points(n: number, base: number, nodes = 1000): string[] {
  return reports(n, base, nodes).flatMap(reportToLines);
}

/**
 * CPU-µs per report of what the store does before the writer: reportToLines. And what gzip (level 1,
 * as for a database on another host; the loopback databases here get plain bodies) would add per
 * point on batches of the default size.
 */
function inProcessCosts(n: number): { encodeUs: number; gzipUs: number } {
  const input = reports(n, 1_763_884_800);
  let lines = 0;
  const cpu0 = process.cpuUsage();
  for (const report of input) lines += reportToLines(report).length;
  const cpu = process.cpuUsage(cpu0);
  const batches: Buffer[] = [];
  const all = points(n, 1_763_884_800);
  for (let i = 0; i < all.length; i += DEFAULT_BATCH_SIZE)
    batches.push(Buffer.from(all.slice(i, i + DEFAULT_BATCH_SIZE).join('\n'), 'latin1'));
  const zip0 = process.cpuUsage();
  for (const batch of batches) gzipSync(batch, { level: GZIP_LEVEL });
  const zip = process.cpuUsage(zip0);
  return { encodeUs: (cpu.user + cpu.system) / lines, gzipUs: (zip.user + zip.system) / all.length };
}

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`Storage benchmark: no progress within ${timeoutMs} ms`);
    await sleep(5);
  }
}

interface LiveSample {
  readonly writeRate: number;
  /** The database's CPU over the round, cores: how busy the writer keeps it. */
  readonly serverCores: number;
  readonly writerCpuPerMillion: number;
  readonly serverCpuPerMillion: number;
}

interface OutageSample {
  readonly drainRate: number;
  readonly firstWriteSeconds: number;
  /** Live writes right after another restart: what the database takes then, to set the drain against. */
  readonly restartRate: number;
  /** The database's CPU from its first acknowledged write to an empty spool, and in the live round after the restart, cores. */
  readonly drainCores: number;
  readonly restartCores: number;
}

/** A writer with the defaults over a disk spool in a temp directory; `run` gets both, then both go. */
async function withWriter<T>(
  endpoint: WriteEndpoint,
  onWritten: () => void,
  run: (writer: SpoolingWriter, spool: DiskSpool) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'obsmon-bench-spool-'));
  const spool = new DiskSpool({ dir, maxBytes: 2 ** 32, log: silentLogger });
  const events = { written: onWritten, failed() {}, deadLetter() {}, up() {}, droppedAtShutdown() {} };
  const writer = new SpoolingWriter(endpoint, spool, events, silentLogger, {
    batchSize: DEFAULT_BATCH_SIZE,
    flushIntervalMs: DEFAULT_FLUSH_INTERVAL_MS,
    fsyncIntervalMs: DEFAULT_FSYNC_INTERVAL_MS,
    retryInitialMs: DEFAULT_RETRY_INITIAL_MS,
    retryMaxMs: DEFAULT_RETRY_MAX_MS,
  });
  try {
    return await run(writer, spool);
  } finally {
    await writer.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Distinct agent times per round: a database de-duplicating equal points would otherwise do less work.
 * Rounds 0–10 of the default run fall between 42 h ago and 18 h ahead (a database may refuse points
 * far ahead of its clock).
 */
const roundBase = (round: number) => Math.floor(Date.now() / 1000) - 150_000 + round * 20_000;

/** Live writes through the writer: rate and CPU of the writer and of the database. */
async function measureLive(
  serverPid: () => number,
  endpoint: WriteEndpoint,
  n: number,
  round: number,
  offset = 0,
): Promise<LiveSample> {
  const live = points(n, roundBase(round) + offset);
  return withWriter(
    endpoint,
    () => {},
    async (writer) => {
      const cpu0 = process.cpuUsage();
      const server0 = cpuSeconds(serverPid());
      const t0 = performance.now();
      // As the bridge hands them over: one report's lines at a time, in bursts of 1000 reports.
      for (let i = 0; i < live.length; i += 1000) writer.write(live.slice(i, i + 1000));
      await until(() => writer.pending === 0, 120_000);
      const seconds = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const serverCpu = cpuSeconds(serverPid()) - server0;
      return {
        writeRate: n / seconds,
        serverCores: serverCpu / seconds,
        writerCpuPerMillion: ((cpu.user + cpu.system) / 1e6 / n) * 1e6,
        serverCpuPerMillion: (serverCpu / n) * 1e6,
      };
    },
  );
}

/** An outage: the database stops, `n` points land in the spool, it starts again and the spool drains. */
async function measureOutage(
  server: RealServer,
  endpoint: WriteEndpoint,
  n: number,
  round: number,
): Promise<OutageSample> {
  const drained = await measureDrain(server, endpoint, n, round);
  // What the database takes in the same seconds after a start: a restarted InfluxDB loads its WAL and
  // takes fewer points a second meanwhile (its CPU per point up to twice that before any restart), so
  // the live rounds before any restart would hold the drain to more than the database then gives.
  await server.stop();
  await server.start();
  const restarted = await measureLive(() => serverPid(server), endpoint, n, round, 15_000);
  return { ...drained, restartRate: restarted.writeRate, restartCores: restarted.serverCores };
}

async function measureDrain(
  server: RealServer,
  endpoint: WriteEndpoint,
  n: number,
  round: number,
): Promise<Omit<OutageSample, 'restartRate' | 'restartCores'>> {
  let firstWriteAt: number | undefined;
  let serverCpuAtFirst = 0;
  return withWriter(
    endpoint,
    () => {
      if (firstWriteAt !== undefined) return;
      firstWriteAt = performance.now();
      serverCpuAtFirst = cpuSeconds(serverPid(server));
    },
    async (writer, spool) => {
      await server.stop();
      writer.write(['probe,node=x v=1 1']);
      await until(() => spool.stats().points > 0, 30_000);
      const backlog = points(n, roundBase(round) + 10_000);
      for (let i = 0; i < backlog.length; i += 1000) writer.write(backlog.slice(i, i + 1000));
      await writer.flush();
      await until(() => spool.stats().points >= n, 60_000);
      firstWriteAt = undefined;
      await server.start();
      const upAt = performance.now();
      await until(() => writer.pending === 0, 300_000);
      const drained = performance.now();
      const first = firstWriteAt ?? drained;
      const seconds = Math.max(1e-3, (drained - first) / 1000);
      return {
        drainRate: n / seconds,
        drainCores: (cpuSeconds(serverPid(server)) - serverCpuAtFirst) / seconds,
        // The writer's probe can get through before the readiness poll does: that counts as 0.
        firstWriteSeconds: Math.max(0, (first - upAt) / 1000),
      };
    },
  );
}

/** Section 4: points/s into real VictoriaMetrics and InfluxDB 1.6 through the bridge's writer. */
/** One database's medians, for the targets table. */
export interface StorageResult {
  readonly name: string;
  readonly writerUsPerPoint: number;
  readonly drainRate: number;
  /** Median live rate right after a restart (see measureOutage). */
  readonly restartRate: number;
  /** Median over the outage rounds of drain rate / live rate after a restart, each pair measured together. */
  readonly drainToRestart: number;
  /** The same for the database's CPU (cores): ≥ 1 when the drain kept it at least as busy as live writes do. */
  readonly drainBusyToRestart: number;
}

export async function storage(config: BenchConfig): Promise<{ table: Table; results: StorageResult[] }> {
  const rows: string[][] = [];
  const costs = Array.from({ length: config.samples }, () => inProcessCosts(config.storagePoints));
  const results: StorageResult[] = [];
  const targets = [
    {
      name: 'InfluxDB 1.6 `/write` (v1 endpoint)',
      installed: which('influxd') !== undefined,
      start: async () => {
        const server = await startInfluxd();
        await influxQl(server, 'CREATE DATABASE bench');
        return { server, endpoint: new InfluxV1Endpoint({ url: server.url, db: 'bench', timeoutMs: 10_000 }) };
      },
    },
    {
      name: 'VictoriaMetrics `/api/v2/write` (v2 endpoint)',
      installed: which('victoria-metrics') !== undefined,
      start: async () => {
        const server = await startVictoriaMetrics();
        return {
          server,
          endpoint: new InfluxV2Endpoint({
            url: server.url,
            org: 'bench',
            bucket: 'bench',
            timeoutMs: 10_000,
            maxLines: DEFAULT_BATCH_SIZE,
          }),
        };
      },
    },
  ];
  for (const target of targets) {
    if (!target.installed) {
      rows.push([target.name, 'not installed', '', '', '', '', '', '']);
      continue;
    }
    const { server, endpoint } = await target.start();
    try {
      // Every live round before the first restart: starting the database forks this process, which
      // write-protects its (pooled) pages; the next writes to each page fault, and live rounds after
      // a restart measured that, not the writer. The database's own start forked it too, so one round
      // first is not counted: in the full bench the first rounds after it measured up to 2.9 µs a point.
      const rounds = config.pairedSamples;
      await measureLive(() => serverPid(server), endpoint, config.storagePoints, 0);
      const live: LiveSample[] = [];
      for (let i = 1; i <= rounds; i += 1)
        live.push(await measureLive(() => serverPid(server), endpoint, config.storagePoints, i));
      const outage: OutageSample[] = [];
      for (let i = 1; i <= rounds; i += 1)
        outage.push(await measureOutage(server, endpoint, config.storagePoints, rounds + i));
      rows.push([
        target.name,
        show(summarise(live.map((s) => s.writeRate))),
        show(summarise(live.map((s) => s.writerCpuPerMillion)), ' s'),
        show(summarise(live.map((s) => s.serverCpuPerMillion)), ' s'),
        show(summarise(outage.map((s) => s.drainRate))),
        show(summarise(outage.map((s) => s.restartRate))),
        `${show(summarise(outage.map((s) => s.drainCores)), '', 3)} / ${show(summarise(outage.map((s) => s.restartCores)), '', 3)}`,
        show(summarise(outage.map((s) => s.firstWriteSeconds)), ' s'),
      ]);
      results.push({
        name: target.name,
        // CPU-s per million points is CPU-µs per point.
        writerUsPerPoint: summarise(live.map((s) => s.writerCpuPerMillion)).median,
        drainRate: summarise(outage.map((s) => s.drainRate)).median,
        restartRate: summarise(outage.map((s) => s.restartRate)).median,
        // Paired by round: the machine's speed drifts between rounds by more than the two rates differ.
        drainToRestart: summarise(outage.map((s) => s.drainRate / s.restartRate)).median,
        drainBusyToRestart: summarise(outage.map((s) => s.drainCores / s.restartCores)).median,
      });
    } finally {
      await server.dispose();
    }
  }
  const table: Table = {
    title: "Storage path: the bridge's writer into real databases",
    columns: [
      'database',
      'points/s written',
      'writer CPU-s per million points',
      'database CPU-s per million points',
      'spool drain after an outage, points/s',
      'points/s written right after a restart',
      'database CPU in the drain / in that live round (cores)',
      'database up → first write',
    ],
    rows,
    notes: [
      `${num(config.storagePoints)} points per measurement (one point = one standard report: \`obsmon_node,node=… cpu=…,mem=…,…\`, 7 fields), handed to \`SpoolingWriter\` (bridge/store) in bursts of 1000 reports; default batch size ${DEFAULT_BATCH_SIZE}, flush interval ${DEFAULT_FLUSH_INTERVAL_MS} ms, disk spool in a temp directory. "Written" = every point acknowledged by the database.`,
      `${config.pairedSamples} live rounds run first (after one not counted), then as many outage rounds (a restart forks this process: see the code). Outage: the database is stopped (SIGTERM), the same number of points is written and lands in the disk spool, the database is started again; the drain rate counts from the first acknowledged write to an empty spool. After each drain the database is restarted once more and the same number of points written live at once ("written right after a restart"): what the database takes in its first seconds, the rate the drain is held to, round by round. "Up → first write" is the writer's retry backoff (250 ms doubling to 5 s) finding the database back. The drain target is the median over the rounds of drain rate / rate right after a restart; where that is below 1, the database's own CPU tells whether the writer left it waiting (fewer cores busy in the drain than in the live round) or the database itself was the bound (as many or more).`,
      'Writer CPU is this benchmark process (it only runs the writer during this section); database CPU is from /proc of the server process.',
      `Before the writer, the store turns each report into line protocol (\`reportToLines\`): ${show(summarise(costs.map((c) => c.encodeUs)), ' CPU-µs')} per standard report, in process. Bodies to these databases (on loopback) are not gzipped; to a database on another host gzip (level ${GZIP_LEVEL}) adds ${show(summarise(costs.map((c) => c.gzipUs)), ' CPU-µs')} per point (batches of ${DEFAULT_BATCH_SIZE}).`,
    ],
  };
  return { table, results };
}

/** The server's current process: the one whose command line names its (unique) data directory. */
function serverPid(server: RealServer): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'latin1').includes(server.dataDir)) return Number(entry);
    } catch {
      // The process ended while we looked.
    }
  }
  throw new Error(`No process found for ${server.name} (${server.dataDir})`);
}
