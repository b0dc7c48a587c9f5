import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BridgeOptions } from '../../../bridge/options.ts';
import { loadOptions } from '../../../config/load.ts';
import { silentLogger, type Logger } from '../../../lib/logger.ts';
import { sensordOptionSpecs, type SensordOptions } from '../../../rts2-sensord/options.ts';
import { startSensord, type RunningSensord } from '../../../rts2-sensord/sensord.ts';
import { sendAndClose } from '../tcp-client.ts';
import { startTestBridge, type TestBridge } from '../test-bridge.ts';
import { FakeCentrald } from './fake-centrald.ts';

export interface Harness {
  readonly centrald: FakeCentrald;
  readonly bridge: TestBridge | undefined;
  readonly sensord: RunningSensord;
  /** Send protocol v1 lines (`<node> <time> k=v ...`, time `now` replaced) to the bridge. */
  report(...lines: string[]): Promise<void>;
  stop(): Promise<void>;
}

/** A file in a fresh temporary directory. */
export function tempFile(name: string, content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'obsmon-rts2-')), name);
  writeFileSync(path, content);
  return path;
}

/** The device's options as `obsmon rts2-sensord` with no flags has them, on loopback. */
export function sensordOptions(overrides: Partial<SensordOptions>): SensordOptions {
  return {
    ...loadOptions(sensordOptionSpecs, [], {}).values,
    localPort: 0,
    localhost: '127.0.0.1',
    bind: '127.0.0.1',
    interval: 0.2,
    ...overrides,
  };
}

export interface HarnessOptions {
  readonly bridge?: Partial<BridgeOptions> | false;
  readonly sensord?: Partial<SensordOptions>;
  readonly log?: Logger;
}

/** Fake centrald, real bridge and the device, all on 127.0.0.1 with ports from the OS. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const centrald = await FakeCentrald.start();
  const bridge = options.bridge === false ? undefined : await startTestBridge(options.bridge ?? {});
  const sensord = await startSensord(
    sensordOptions({
      server: `127.0.0.1:${centrald.port}`,
      bridge: bridge === undefined ? 'http://127.0.0.1:9' : bridge.httpUrl,
      // Most tests look at single figures; the summary (the default) has tests of its own.
      nodeValues: 'full',
      ...options.sensord,
    }),
    options.log ?? silentLogger,
    { centraldRetry: { initialMs: 50, maxMs: 200 } },
  );
  return {
    centrald,
    bridge,
    sensord,
    async report(...lines) {
      if (bridge === undefined) throw new Error('no bridge in this harness');
      const now = String(Math.floor(Date.now() / 1000));
      await sendAndClose(bridge.ingestPort, lines.map((l) => `${l.replace(' now ', ` ${now} `)}\n`).join(''));
    },
    async stop() {
      await sensord.stop();
      await bridge?.stop();
      await centrald.stop();
    },
  };
}
