import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parse } from 'yaml';
import { realBinary } from '../../helpers/prometheus-servers.ts';

const CONFIG = new URL('../../../prometheus/alertmanager.yml', import.meta.url).pathname;

function amtool(args: string[]) {
  const result = spawnSync(realBinary('amtool', 'prometheus-alertmanager'), args, {
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, output: `${result.stdout}${result.stderr}` };
}

/** Labels of an alert → the receivers Alertmanager must pick (in order). */
const ROUTES: ReadonlyArray<{ name: string; labels: string[]; receivers: string }> = [
  {
    name: 'a critical node down pages, whatever its group',
    labels: ['alertname=ObsmonCriticalNodeDown', 'severity=critical', 'group=cameras', 'node=ccd01'],
    receivers: 'page',
  },
  {
    name: 'the bridge down pages',
    labels: ['alertname=ObsmonBridgeDown', 'severity=critical', 'instance=bridge:7080'],
    receivers: 'page',
  },
  {
    name: 'an error on a camera host mails the camera team',
    labels: ['alertname=ObsmonNodeDiskUsageHigh', 'severity=error', 'group=cameras', 'node=ccd01'],
    receivers: 'cameras-email',
  },
  {
    name: 'a warning on a camera host goes to their chat',
    labels: ['alertname=ObsmonNodeDiskUsageHigh', 'severity=warning', 'group=cameras', 'node=ccd01'],
    receivers: 'cameras-chat',
  },
  {
    name: 'an error elsewhere mails operations',
    labels: ['alertname=ObsmonNodeMemoryLow', 'severity=error', 'group=default', 'node=ctl'],
    receivers: 'ops-email',
  },
  {
    name: 'an error of the bridge mails operations',
    labels: ['alertname=ObsmonBridgeStorageFailing', 'severity=error', 'instance=bridge:7080'],
    receivers: 'ops-email',
  },
  {
    name: 'a warning elsewhere goes to the operations chat',
    labels: ['alertname=ObsmonNodeDown', 'severity=warning', 'group=dome', 'node=weather'],
    receivers: 'ops-chat',
  },
  {
    name: 'an alert without severity falls back to the operations chat',
    labels: ['alertname=Other'],
    receivers: 'ops-chat',
  },
];

interface AmConfig {
  global: Record<string, unknown>;
  receivers: Array<{
    name: string;
    email_configs?: Array<Record<string, unknown>>;
    webhook_configs?: Array<{ url: string; http_config?: { authorization?: Record<string, unknown> } }>;
  }>;
}

describe('alertmanager.yml with the real amtool', () => {
  test('amtool check-config accepts it', () => {
    const { status, output } = amtool(['check-config', CONFIG]);
    expect(status, output).toBe(0);
  });

  test.each(ROUTES)('routes: $name', ({ labels, receivers }) => {
    const { status, stdout, output } = amtool([
      'config',
      'routes',
      'test',
      `--config.file=${CONFIG}`,
      `--verify.receivers=${receivers}`,
      ...labels,
    ]);
    expect(stdout.trim()).toBe(receivers);
    expect(status, output).toBe(0);
  });

  test('secrets come from files: SMTP password and chat relay token', () => {
    const config = parse(readFileSync(CONFIG, 'utf8')) as AmConfig;
    expect(config.global['smtp_auth_password']).toBeUndefined();
    expect(config.global['smtp_auth_password_file']).toMatch(/^\//);
    for (const receiver of config.receivers) {
      for (const webhook of receiver.webhook_configs ?? []) {
        expect(webhook.http_config?.authorization?.['credentials_file'], receiver.name).toMatch(/^\//);
        expect(webhook.http_config?.authorization?.['credentials'], receiver.name).toBeUndefined();
        expect(webhook.url, 'no key in the URL').not.toMatch(/[?&](key|token)=/);
      }
      for (const email of receiver.email_configs ?? []) expect(email['auth_password'], receiver.name).toBeUndefined();
    }
  });
});
