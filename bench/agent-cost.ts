import { createServer, type Server } from 'node:net';
import { AGENT_NODE_FLAGS } from '../deploy/node-flags.ts';
import type { BenchConfig } from './bench-config.ts';
import { startChild, which } from './children.ts';
import type { Table } from './markdown-table.ts';
import { freePort, GaveUp, httpGet, sleep, waitFor } from './net-util.ts';
import { childPids, cpuSeconds, preciseCpuSeconds, rssBytes } from './proc-stats.ts';
import { bytes, MB, num, show, summarise } from './summary.ts';

const BIN = new URL('../bin/obsmon.js', import.meta.url).pathname;

interface Arrival {
  readonly line: string;
  readonly cpu: number;
  /** Child processes of the agent when the report arrived. */
  readonly children: number;
}

/**
 * A stand-in bridge that records each report, the agent's CPU and child processes at the moment it arrived, and
 * answers `PING <n>` with `PONG <n>` as the bridge does (the agent re-sends unacknowledged reports).
 */
async function sink(pid: () => number | undefined): Promise<{ server: Server; port: number; arrivals: Arrival[] }> {
  const arrivals: Arrival[] = [];
  const server = createServer((socket) => {
    let buffer = '';
    socket.on('error', () => {});
    socket.on('data', (d: Buffer) => {
      buffer += d.toString('latin1');
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).replace(/\r$/, '');
        buffer = buffer.slice(nl + 1);
        if (line.startsWith('PING')) {
          socket.write(`PONG${line.slice(4)}\n`);
          continue;
        }
        // Once per connection, not a report (docs/protocol.md section 9).
        if (line.startsWith('AGENT ')) continue;
        const p = pid();
        arrivals.push({
          line,
          cpu: p === undefined ? Number.NaN : preciseCpuSeconds(p),
          children: p === undefined ? 0 : childPids(p).length,
        });
      }
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { server, port, arrivals };
}

interface AgentRow {
  readonly cells: string[];
  readonly cpuMs: number;
  readonly reportBytes: number;
  readonly rssMb: number;
  /** The most child processes the agent had at any report. */
  readonly children: number;
}

async function obsmonExporter(config: BenchConfig): Promise<AgentRow> {
  let pid: number | undefined;
  const { server, port, arrivals } = await sink(() => pid);
  const agent = startChild('obsmon exporter', process.execPath, [
    ...AGENT_NODE_FLAGS,
    BIN,
    'exporter',
    '--server',
    `127.0.0.1:${port}`,
    '--interval',
    String(config.agentIntervalS),
    '--node',
    'benchagent',
    '--log-level',
    'warn',
  ]);
  pid = agent.pid;
  const cycles = config.samples * config.agentCycles;
  try {
    const warm = 2;
    await waitFor(
      'the exporter to send its reports',
      () => {
        if (agent.exited()) throw new GaveUp(`The exporter exited: ${agent.output()}`);
        return arrivals.length > warm + cycles;
      },
      (warm + cycles + 20) * config.agentIntervalS * 1000,
    );
    const measured = arrivals.slice(warm, warm + cycles + 1);
    // /proc counts CPU in 10 ms ticks: a cycle costs less, so each sample spans agentCycles cycles.
    const perCycle = Array.from(
      { length: config.samples },
      (_, i) =>
        ((measured[(i + 1) * config.agentCycles]!.cpu - measured[i * config.agentCycles]!.cpu) * 1000) /
        config.agentCycles,
    );
    const lineBytes = measured.map((a) => a.line.length + 1);
    const cpuMs = summarise(perCycle);
    const rssMb = rssBytes(agent.pid) / MB;
    const children = Math.max(...measured.map((a) => a.children));
    const cells = [
      'obsmon exporter (default collectors), per collection cycle',
      show(cpuMs, ' ms'),
      `${num((cpuMs.median / (10 * 1000)) * 100, 2)} %`,
      `${num(rssMb)} MB`,
      num(children),
      `${show(summarise(lineBytes), ' B')} (line + \\n)`,
      `${num(measured[0]!.line.split(' ').length - 2)} values`,
      `\`${measured[measured.length - 1]!.line}\``,
    ];
    return { cells, cpuMs: cpuMs.median, reportBytes: Math.max(...lineBytes), rssMb, children };
  } finally {
    await agent.stop();
    server.close();
  }
}

async function nodeExporter(config: BenchConfig): Promise<string[]> {
  const binary = which('prometheus-node-exporter');
  if (binary === undefined)
    return ['node_exporter: not run, `prometheus-node-exporter` is not installed', '', '', '', '', '', '', ''];
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/metrics`;
  // Without --no-collector.systemd it logs a D-Bus error on every scrape here (no systemd).
  const exporter = startChild('prometheus-node-exporter', binary, [
    `--web.listen-address=127.0.0.1:${port}`,
    '--no-collector.systemd',
    '--log.level=warn',
  ]);
  try {
    await waitFor(
      'node_exporter to answer',
      async () => {
        if (exporter.exited()) throw new GaveUp(`node_exporter exited: ${exporter.output()}`);
        return (await httpGet(url)).status === 200;
      },
      20_000,
    );
    const perScrape: number[] = [];
    let plain = 0;
    let series = 0;
    for (let s = 0; s < config.samples; s += 1) {
      const before = cpuSeconds(exporter.pid);
      for (let i = 0; i < config.nodeExporterScrapes; i += 1) {
        const answer = await httpGet(url);
        plain = answer.bytes;
        series = answer.body.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
        // Scrapes are seconds apart in real use; back to back they would share warm caches.
        await sleep(config.smoke ? 50 : 300);
      }
      perScrape.push(((cpuSeconds(exporter.pid) - before) * 1000) / config.nodeExporterScrapes);
    }
    const gzip = await httpGet(url, { 'accept-encoding': 'gzip' });
    const cpuMs = summarise(perScrape);
    return [
      'prometheus-node-exporter (Debian defaults minus systemd), per scrape',
      show(cpuMs, ' ms'),
      `${num((cpuMs.median / (10 * 1000)) * 100, 2)} %`,
      `${num(rssBytes(exporter.pid) / MB)} MB`,
      num(childPids(exporter.pid).length),
      `${bytes(plain)} (${bytes(gzip.bytes)} gzip)`,
      `${num(series)} series`,
      '',
    ];
  } finally {
    await exporter.stop();
  }
}

/** Section 5: the agent's cost per cycle next to node_exporter's per scrape, same machine. */
export async function agentCost(
  config: BenchConfig,
): Promise<{ table: Table; cpuMs: number; reportBytes: number; rssMb: number; children: number }> {
  const agent = await obsmonExporter(config);
  const peer = await nodeExporter(config);
  const table: Table = {
    title: 'Agent cost',
    columns: [
      'agent',
      'CPU per cycle',
      'CPU at a 10 s interval (% of one core)',
      'RSS',
      'child processes',
      'bytes per report',
      'content',
      'example',
    ],
    rows: [agent.cells, peer],
    notes: [
      `obsmon exporter: the real \`obsmon exporter\` process (\`bin/obsmon.js exporter\`, which runs the compiled CLI, dist/cli/, started with the agent's node flags \`${AGENT_NODE_FLAGS.join(' ')}\` as its launchers start it: deploy/node-flags.ts), default collectors, \`--interval ${config.agentIntervalS}\` (the default is 10: a cycle costs more the longer the process sleeps between cycles, measured 10.8 ms at 10 s against about 6 ms at 0.5 s in one hour on this machine, so the full bench runs it at the default, as deployed), reporting to a TCP sink in the benchmark process that answers PING like the bridge. CPU per cycle = the process's CPU (all threads, nanoseconds from /proc/<pid>/task/*/schedstat) over ${config.agentCycles} consecutive reports, divided by ${config.agentCycles}, ${config.samples} such samples after 2 warm-up cycles; it includes timers, encoding and the socket write, not only collection. Child processes: the most the agent had when any report arrived (read from /proc).`,
      `node_exporter: ${config.samples} samples of ${config.nodeExporterScrapes} scrapes of its /metrics (CPU of the process across them, divided by the scrapes); the size is what a Prometheus scrape transfers (it asks for gzip).`,
      'Bytes per report is the payload; on a real network each report also costs one TCP segment of headers (52–66 bytes) and an ACK.',
    ],
  };
  return { table, cpuMs: agent.cpuMs, reportBytes: agent.reportBytes, rssMb: agent.rssMb, children: agent.children };
}
