import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../testkit/free-port.ts';
import { binary } from '../../testkit/real-servers.ts';
import { waitFor } from './wait-for.ts';

/** A real `indiserver` (Debian `indi-bin`) running one driver, owned by the test. */
export interface IndiServer {
  readonly port: number;
  /** `indi_setprop -p <port> <assignment>`, e.g. `Device.PROPERTY.ELEMENT=value`. */
  set(assignment: string): Promise<void>;
  /** `indi_getprop` of one `Device.PROPERTY.ELEMENT`: its value, or undefined when not (yet) defined. */
  get(element: string): Promise<string | undefined>;
  /** Everything indiserver and the driver logged (`-v`). */
  log(): string;
  /** Stop indiserver by PID (it ends the driver child too); removes its temp dir. */
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

function run(file: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: 10_000, encoding: 'utf8' }, (error, stdout, stderr) =>
      error ? reject(new Error(`${file} ${args.join(' ')}: ${error.message} ${stderr}`)) : resolve(stdout),
    );
  });
}

/**
 * `indiserver -p <free port> -v <driver>`, ready once `device` is defined. It binds every interface (1.9.9 has no bind option), so
 * the port is a free one; its local socket and the driver's config dir (`$HOME/.indi`) are in a temp
 * dir, so parallel runs and the machine's own INDI setup never meet.
 */
export async function startIndiServer(driver: string, device: string): Promise<IndiServer> {
  const server = binary('indiserver', 'indi-bin');
  binary(driver, 'indi-bin');
  const setprop = binary('indi_setprop', 'indi-bin');
  const getprop = binary('indi_getprop', 'indi-bin');
  const port = await freePort();
  const home = mkdtempSync(join(tmpdir(), 'obsmon-indi-'));
  const child = spawn(server, ['-p', String(port), '-u', join(home, 'indiserver.sock'), '-v', driver], {
    env: { ...process.env, HOME: home },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let log = '';
  child.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const get = async (element: string) => {
    const out = await run(getprop, ['-p', String(port), '-t', '2', element]).catch(() => '');
    const line = out.split('\n').find((l) => l.startsWith(`${element}=`));
    return line?.slice(element.length + 1);
  };
  const indi: IndiServer = {
    port,
    set: async (assignment) => void (await run(setprop, ['-p', String(port), assignment])),
    get,
    log: () => log,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      live.delete(child);
      rmSync(home, { recursive: true, force: true });
    },
  };
  try {
    // Ready once the driver has defined its device's properties.
    await waitFor(
      `${driver} under indiserver on port ${port}`,
      async () => {
        if (child.exitCode !== null) throw new Error(`indiserver exited: ${log}`);
        return (await get(`${device}.CONNECTION.CONNECT`)) !== undefined;
      },
      20_000,
      200,
    );
  } catch (error) {
    await indi.stop();
    throw error;
  }
  return indi;
}
