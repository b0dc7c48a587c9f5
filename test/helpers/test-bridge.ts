import { startBridge, type BridgeHooks, type RunningBridge } from '../../bridge/bridge.ts';
import { bridgeOptionSpecs, type BridgeOptions } from '../../bridge/options.ts';
import { loadOptions } from '../../config/load.ts';
import { silentLogger } from '../../lib/logger.ts';

export interface TestBridge extends RunningBridge {
  readonly ingestPort: number;
  readonly httpUrl: string;
  metricsText(): Promise<string>;
  nodesJson(): Promise<{ nodes: Array<Record<string, unknown>> }>;
}

/** The bridge's default options, as `obsmon bridge` with no flags would have them. */
export function defaultBridgeOptions(): BridgeOptions {
  return loadOptions(bridgeOptionSpecs, [], {}).values;
}

/** A real bridge on 127.0.0.1, both ports chosen by the OS. */
export async function startTestBridge(
  overrides: Partial<BridgeOptions> = {},
  hooks: BridgeHooks = {},
): Promise<TestBridge> {
  const options: BridgeOptions = {
    ...defaultBridgeOptions(),
    bind: '127.0.0.1',
    ingestPort: 0,
    httpPort: 0,
    ...overrides,
  };
  const bridge = await startBridge(options, silentLogger, hooks);
  const httpUrl = `http://127.0.0.1:${bridge.httpAddress.port}`;
  return {
    ...bridge,
    stop: () => bridge.stop(),
    ingestPort: bridge.ingestAddress.port,
    httpUrl,
    async metricsText() {
      const res = await fetch(`${httpUrl}/metrics`);
      if (!res.ok) throw new Error(`/metrics answered ${res.status}`);
      return res.text();
    },
    async nodesJson() {
      const res = await fetch(`${httpUrl}/api/v1/nodes`);
      return (await res.json()) as { nodes: Array<Record<string, unknown>> };
    },
  };
}

/** Value of one exposition line selected by a metric name and label fragment, or undefined. */
export function sampleValue(exposition: string, metric: string, labelsContain: string): number | undefined {
  for (const line of exposition.split('\n')) {
    if (line.startsWith(`${metric}{`) && line.includes(labelsContain))
      return Number(line.slice(line.lastIndexOf(' ') + 1));
    if (labelsContain === '' && line.startsWith(`${metric} `)) return Number(line.slice(metric.length + 1));
  }
  return undefined;
}
