import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startShippedAlertmanager, type RealServer } from '../helpers/prometheus-servers.ts';
import { waitFor } from '../helpers/wait-for.ts';

/*
 * docs/alerting.md, "Severities and routing", inhibition rule 1 (a bridge down; rules 2 and 3 are in
 * alertmanager-node-inhibition.test.ts), in the shipped alertmanager.yml (startShippedAlertmanager).
 */

interface AmAlert {
  labels: Record<string, string>;
  status: { state: string };
}

let alertmanager: RealServer | undefined;

beforeAll(async () => {
  alertmanager = await startShippedAlertmanager();
});

afterAll(async () => {
  await alertmanager?.stop();
});

async function post(alerts: Array<Record<string, string>>): Promise<void> {
  const res = await fetch(`${alertmanager!.url}/api/v2/alerts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(alerts.map((labels) => ({ labels }))),
  });
  expect(res.status).toBe(200);
}

/** `alertname/node` (or `alertname/instance`) → state, once Alertmanager has processed all `count`. */
async function states(filter: string, count: number): Promise<Record<string, string>> {
  return waitFor(
    `${count} alerts with their states`,
    async () => {
      const res = await fetch(`${alertmanager!.url}/api/v2/alerts?filter=${encodeURIComponent(filter)}`);
      const alerts = (await res.json()) as AmAlert[];
      const byKey = Object.fromEntries(
        alerts.map((a) => [`${a.labels['alertname']}/${a.labels['node'] ?? a.labels['instance']}`, a.status.state]),
      );
      return alerts.length === count && !Object.values(byKey).includes('unprocessed') ? byKey : undefined;
    },
    15_000,
    100,
  );
}

describe('alertmanager.yml inhibition while the bridge is down (real Alertmanager)', () => {
  test('ObsmonBridgeDown silences every node alert of its job, and nothing else', async () => {
    await post([
      { alertname: 'ObsmonBridgeDown', job: 'obsmon-bridge', instance: 'bridge:7080', severity: 'critical', t: 'a' },
      {
        alertname: 'ObsmonCriticalNodeDown',
        job: 'obsmon-bridge',
        node: 'dome',
        group: 'dome',
        severity: 'critical',
        t: 'a',
      },
      {
        alertname: 'ObsmonNodeDown',
        job: 'obsmon-bridge',
        node: 'ccd01',
        group: 'cameras',
        severity: 'warning',
        t: 'a',
      },
      {
        alertname: 'ObsmonNodeDiskUsageHigh',
        job: 'obsmon-bridge',
        instance: 'bridge:7080',
        node: 'ccd02',
        mount: '/',
        group: 'cameras',
        severity: 'error',
        t: 'a',
      },
      // Not a node alert, and a node alert of another job: untouched.
      {
        alertname: 'ObsmonBridgeStorageFailing',
        job: 'obsmon-bridge',
        instance: 'bridge:7080',
        reason: 'unreachable',
        severity: 'error',
        t: 'a',
      },
      {
        alertname: 'ObsmonNodeDown',
        job: 'other-bridges',
        node: 'far1',
        group: 'default',
        severity: 'warning',
        t: 'a',
      },
    ]);
    expect(await states('t="a"', 6)).toEqual({
      'ObsmonBridgeDown/bridge:7080': 'active',
      'ObsmonCriticalNodeDown/dome': 'suppressed',
      'ObsmonNodeDown/ccd01': 'suppressed',
      'ObsmonNodeDiskUsageHigh/ccd02': 'suppressed',
      'ObsmonBridgeStorageFailing/bridge:7080': 'active',
      'ObsmonNodeDown/far1': 'active',
    });
  });

  test('once ObsmonBridgeDown resolves, the same node alerts are active', async () => {
    const res = await fetch(`${alertmanager!.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        {
          labels: {
            alertname: 'ObsmonBridgeDown',
            job: 'obsmon-bridge',
            instance: 'bridge:7080',
            severity: 'critical',
            t: 'a',
          },
          endsAt: new Date(Date.now() - 1000).toISOString(),
        },
      ]),
    });
    expect(res.status).toBe(200);
    await post([
      {
        alertname: 'ObsmonCriticalNodeDown',
        job: 'obsmon-bridge',
        node: 'dome',
        group: 'dome',
        severity: 'critical',
        t: 'b',
      },
      {
        alertname: 'ObsmonNodeDown',
        job: 'obsmon-bridge',
        node: 'ccd01',
        group: 'cameras',
        severity: 'warning',
        t: 'b',
      },
    ]);
    expect(await states('t="b"', 2)).toEqual({
      'ObsmonCriticalNodeDown/dome': 'active',
      'ObsmonNodeDown/ccd01': 'active',
    });
  });
});
