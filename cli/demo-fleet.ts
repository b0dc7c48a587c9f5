import { connect, type Socket } from 'node:net';
import { encodeReport, type Sample } from '../protocol/line.ts';

/** Roles of an observatory's computers, in the order simulated nodes take them. */
const ROLES = ['tcs', 'ccd01', 'ccd02', 'dome', 'guider', 'spectro', 'archive', 'weather', 'focus', 'db'] as const;

/** The simulated node names for `count` nodes: `sim-tcs`, `sim-ccd01`, … then `sim-node11`, …. */
export function simulatedNodeNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `sim-${ROLES[i] ?? `node${String(i + 1).padStart(2, '0')}`}`);
}

/**
 * Smooth, deterministic values that differ per node: a small fleet at a glance, with a few nodes
 * over their warning or error levels (a camera host's full data disk, a busy reduction host), so the
 * status page shows every colour. Not measurements: names start with `sim-`.
 */
export function simulatedSamples(index: number, timestamp: number): Sample[] {
  const phase = timestamp / 60 + index;
  const wave = (base: number, amplitude: number) => base + amplitude * Math.sin(phase);
  const disk = index === 1 ? 93 : index === 2 ? 84 : 20 + ((index * 17) % 50);
  const cpu = index === 5 ? wave(89, 3) : wave(15 + ((index * 11) % 30), 8);
  return [
    { key: 'cpu', value: cpu },
    { key: 'mem', value: wave(30 + ((index * 13) % 40), 5) },
    { key: 'disk', value: disk },
    { key: 'rx', value: Math.round(wave(2e6 * (1 + index), 1e6)) },
    { key: 'tx', value: Math.round(wave(5e5 * (1 + index), 2e5)) },
    { key: 'load1', value: Math.max(0, cpu / 25) },
    { key: 'procs', value: 150 + index * 7 },
  ];
}

/** Sends one report per simulated node every `intervalSeconds`, as plain agents would. */
export class DemoFleet {
  private readonly socket: Socket;
  private readonly timer: NodeJS.Timeout;
  private readonly names: readonly string[];

  constructor(host: string, port: number, count: number, intervalSeconds: number, now: () => number = Date.now) {
    this.names = simulatedNodeNames(count);
    this.socket = connect({ host, port });
    // The bridge is in this process and already listening; a failure only costs the simulation.
    this.socket.on('error', () => {});
    const send = () => {
      const timestamp = Math.floor(now() / 1000);
      const lines = this.names.map((node, i) =>
        encodeReport({ node, timestamp, samples: simulatedSamples(i, timestamp) }),
      );
      this.socket.write(`${lines.join('\n')}\n`);
    };
    send();
    this.timer = setInterval(send, intervalSeconds * 1000);
  }

  stop(): void {
    clearInterval(this.timer);
    this.socket.end();
  }
}
