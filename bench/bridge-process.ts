import { startBridgeProcess, type BridgeProcess } from '../testkit/bridge-process.ts';
import { own } from './children.ts';
import { httpGet, sampleValue } from './net-util.ts';
import { MB } from './summary.ts';

export interface BenchBridge extends BridgeProcess {
  /** obsmon_bridge_reports_accepted_total, read from /metrics (the scrape's own cost is small next to a window). */
  acceptedReports(): Promise<number>;
  /** obsmon_bridge_history_bytes and its bound, MB: a bridge without a database grows its RSS by the difference. */
  historyMb(): Promise<HistoryMb>;
}

/** The in-memory history's size and bound, MB (part of the RSS of a bridge; it grows to `max`). */
export interface HistoryMb {
  readonly held: number;
  readonly max: number;
}

/** obsmon_bridge_history_bytes and _max_bytes read from exposition text, MB. */
export function historyMb(exposition: string): HistoryMb {
  const mb = (name: string) => (sampleValue(exposition, name) ?? Number.NaN) / MB;
  return { held: mb('obsmon_bridge_history_bytes'), max: mb('obsmon_bridge_history_max_bytes') };
}

/** `obsmon bridge` as its own process on loopback (testkit/bridge-process.ts), owned by the bench run. */
export async function startBridge(args: readonly string[], nodeFlags: readonly string[] = []): Promise<BenchBridge> {
  const bridge = await startBridgeProcess(args, { nodeFlags, onSpawn: own });
  return Object.assign(bridge, {
    async acceptedReports() {
      const answer = await httpGet(`${bridge.httpUrl}/metrics`);
      return sampleValue(answer.body, 'obsmon_bridge_reports_accepted_total') ?? Number.NaN;
    },
    async historyMb() {
      return historyMb((await httpGet(`${bridge.httpUrl}/metrics`)).body);
    },
  });
}
