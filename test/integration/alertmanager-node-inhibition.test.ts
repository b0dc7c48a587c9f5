import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startShippedAlertmanager, type RealServer } from '../helpers/prometheus-servers.ts';
import { waitFor } from '../helpers/wait-for.ts';

/*
 * docs/alerting.md, "Severities and routing", inhibition rules 2 and 3 (rule 1, a bridge down, is in
 * alertmanager-inhibition.test.ts): the shipped alertmanager.yml in a real Alertmanager; only the
 * receivers point at a closed loopback port (nothing is delivered, states are read).
 */
let alertmanager: RealServer | undefined;

beforeAll(async () => {
  alertmanager = await startShippedAlertmanager();
});

afterAll(async () => {
  await alertmanager?.stop();
});

/** Post the alerts, then `alertname/node/mount/severity` → state once Alertmanager processed them all. */
async function statesOf(t: string, alerts: Array<Record<string, string>>): Promise<Record<string, string>> {
  const res = await fetch(`${alertmanager!.url}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(alerts.map((labels) => ({ labels: { job: 'obsmon-bridge', ...labels, t } }))),
  });
  expect(res.status).toBe(200);
  return waitFor(
    `${alerts.length} alerts with their states`,
    async () => {
      const got = (await (
        await fetch(`${alertmanager!.url}/api/v2/alerts?filter=${encodeURIComponent(`t="${t}"`)}`)
      ).json()) as Array<{ labels: Record<string, string>; status: { state: string } }>;
      const byKey = Object.fromEntries(
        got.map((a) => {
          const l = a.labels;
          return [`${l['alertname']}/${l['node']}/${l['mount'] ?? ''}/${l['severity']}`, a.status.state];
        }),
      );
      return got.length === alerts.length && !Object.values(byKey).includes('unprocessed') ? byKey : undefined;
    },
    15_000,
    100,
  );
}

const value = (alertname: string, node: string, severity: string, mount?: string) => ({
  alertname,
  node,
  severity,
  instance: 'bridge:7080',
  group: 'default',
  ...(mount === undefined ? {} : { mount }),
});

describe('alertmanager.yml inhibition of node alerts (real Alertmanager)', () => {
  test("a node down silences that node's other ObsmonNode* alerts, not the down alerts nor other nodes", async () => {
    expect(
      await statesOf('down', [
        { alertname: 'ObsmonNodeDown', node: 'n1', group: 'default', severity: 'warning' },
        { alertname: 'ObsmonCriticalNodeDown', node: 'n1', group: 'default', severity: 'critical' },
        value('ObsmonNodeDiskFillingUp', 'n1', 'warning', '/data'),
        value('ObsmonNodeCpuBusy', 'n1', 'error'),
        value('ObsmonNodeCpuBusy', 'n2', 'error'),
        { alertname: 'ObsmonBridgeRejectingLines', instance: 'bridge:7080', node: 'n1', severity: 'warning' },
      ]),
    ).toEqual({
      'ObsmonNodeDown/n1//warning': 'active',
      'ObsmonCriticalNodeDown/n1//critical': 'active',
      'ObsmonNodeDiskFillingUp/n1//data/warning': 'suppressed',
      'ObsmonNodeCpuBusy/n1//error': 'suppressed',
      'ObsmonNodeCpuBusy/n2//error': 'active',
      'ObsmonBridgeRejectingLines/n1//warning': 'active',
    });
  });

  test('the error level silences the warning level of the same alert, node and device only', async () => {
    expect(
      await statesOf('levels', [
        value('ObsmonNodeDiskUsageHigh', 'n3', 'error', '/'),
        value('ObsmonNodeDiskUsageHigh', 'n3', 'warning', '/'),
        value('ObsmonNodeDiskUsageHigh', 'n3', 'warning', '/data'),
        value('ObsmonNodeDiskUsageHigh', 'n4', 'warning', '/'),
        value('ObsmonNodeCpuBusy', 'n3', 'warning'),
      ]),
    ).toEqual({
      'ObsmonNodeDiskUsageHigh/n3///error': 'active',
      'ObsmonNodeDiskUsageHigh/n3///warning': 'suppressed',
      'ObsmonNodeDiskUsageHigh/n3//data/warning': 'active',
      'ObsmonNodeDiskUsageHigh/n4///warning': 'active',
      'ObsmonNodeCpuBusy/n3//warning': 'active',
    });
  });
});
