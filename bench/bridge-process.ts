import { startChild, type Child } from './children.ts';
import { freePort, GaveUp, httpGet, sampleValue, waitFor } from './net-util.ts';

const BIN = new URL('../bin/obsmon.js', import.meta.url).pathname;

export interface BridgeProcess {
  readonly child: Child;
  readonly pid: number;
  readonly ingestPort: number;
  readonly httpUrl: string;
  /** obsmon_bridge_reports_accepted_total, read from /metrics (the scrape's own cost is small next to a window). */
  acceptedReports(): Promise<number>;
}

/** `obsmon bridge` as its own process on loopback, exactly as an operator starts it, plus `args`. */
export async function startBridge(args: readonly string[], nodeFlags: readonly string[] = []): Promise<BridgeProcess> {
  const [ingestPort, httpPort] = [await freePort(), await freePort()];
  const child = startChild('obsmon bridge', process.execPath, [
    ...nodeFlags,
    BIN,
    'bridge',
    '--bind',
    '127.0.0.1',
    '--ingest-port',
    String(ingestPort),
    '--http-port',
    String(httpPort),
    ...args,
  ]);
  const httpUrl = `http://127.0.0.1:${httpPort}`;
  await waitFor('the bridge to answer /healthz', async () => {
    if (child.exited()) throw new GaveUp(`The bridge exited: ${child.output()}`);
    return (await httpGet(`${httpUrl}/healthz`)).status === 200;
  });
  return {
    child,
    pid: child.pid,
    ingestPort,
    httpUrl,
    async acceptedReports() {
      const answer = await httpGet(`${httpUrl}/metrics`);
      return sampleValue(answer.body, 'obsmon_bridge_reports_accepted_total') ?? Number.NaN;
    },
  };
}
