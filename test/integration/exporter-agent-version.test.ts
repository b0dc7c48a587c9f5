import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, test } from 'vitest';
import { fetchNodes } from '../../lib/nodes-client.ts';
import { VERSION } from '../../lib/version.ts';
import { startBridgeProcess, type BridgeProcess } from '../../testkit/bridge-process.ts';
import { checkMetrics } from '../helpers/promtool.ts';
import { waitFor } from '../helpers/wait-for.ts';

/**
 * Issue 17: the bridge shows each node's agent version. The real `obsmon exporter` executable sends
 * `AGENT obsmon-exporter/<version>` to a real `obsmon bridge` process, which shows it on /metrics
 * (promtool-valid) and in /api/v1/nodes, and refuses nothing for it.
 */
const BIN = new URL('../../bin/obsmon.js', import.meta.url).pathname;
const children: ChildProcess[] = [];
let bridge: BridgeProcess | undefined;

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await bridge?.stop('SIGKILL');
});

describe('obsmon exporter announces its version to the bridge', () => {
  test('obsmon_node_agent_info and the NodeView field agent name the exporter and its version', async () => {
    bridge = await startBridgeProcess([]);
    const child = spawn(
      process.execPath,
      [
        BIN,
        'exporter',
        '--node',
        'ver1',
        '--server',
        `127.0.0.1:${bridge.ingestPort}`,
        '--interval',
        '0.5',
        '--collectors',
        'cpu,memory',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    children.push(child);
    const expected = `obsmon_node_agent_info{node="ver1",agent="obsmon-exporter/${VERSION}"} 1`;
    const text = await waitFor(
      'the agent info on the bridge /metrics',
      async () => {
        const t = await bridge!.metricsText();
        return t.split('\n').includes(expected) ? t : undefined;
      },
      60_000,
      200,
    );
    const check = checkMetrics(text);
    expect(check.output).not.toMatch(/error/i);
    expect(check.status).toBe(0);
    // The AGENT line is taken, not refused.
    expect(text).not.toMatch(/^obsmon_bridge_rejected_lines_total\{reason="malformed"\} [1-9]/m);
    const answer = await fetchNodes(bridge.httpUrl, { timeoutMs: 5000 });
    expect(answer.nodes.find((n) => n.node === 'ver1')?.agent).toBe(`obsmon-exporter/${VERSION}`);
  });
});
