import { Registry } from 'prom-client';
import { afterEach, expect, test } from 'vitest';
import { createExporterMetrics } from '../../exporter/self-metrics.ts';
import { VERSION } from '../../lib/version.ts';
import { checkMetrics } from '../helpers/promtool.ts';
import { startTestBridge, type TestBridge } from '../helpers/test-bridge.ts';

const BUILD_INFO = `obsmon_build_info{version="${VERSION}",nodejs="${process.versions.node}"} 1`;
let bridge: TestBridge | undefined;
afterEach(async () => {
  await bridge?.stop();
  bridge = undefined;
});

test('the bridge exposes obsmon_build_info with its version and runtime, valid exposition', async () => {
  bridge = await startTestBridge();
  const text = await (await fetch(`${bridge.httpUrl}/metrics`)).text();
  expect(text.split('\n')).toContain(BUILD_INFO);
  expect(checkMetrics(text).status).toBe(0);
});

test('the agent exposes the same obsmon_build_info on its own /metrics', async () => {
  const registry = new Registry();
  createExporterMetrics(registry, ['cpu'], () => ({
    length: 0,
    bytes: 0,
    oldestTimestamp: undefined,
    diskBytes: undefined,
  }));
  expect((await registry.metrics()).split('\n')).toContain(BUILD_INFO);
});
