import type { DashboardBuilder } from '@grafana/grafana-foundation-sdk/dashboard';
import { bridgeDashboard } from './bridge.ts';
import { nodeHistoryDashboard } from './node-history.ts';
import { nodeDashboard } from './node.ts';
import { overviewDashboard } from './overview.ts';

/** Every dashboard, by the file name it is written to in grafana/dashboards/. */
export const DASHBOARDS: ReadonlyArray<{ file: string; build: () => DashboardBuilder }> = [
  { file: 'obsmon-overview.json', build: overviewDashboard },
  { file: 'obsmon-node.json', build: nodeDashboard },
  { file: 'obsmon-node-history.json', build: nodeHistoryDashboard },
  { file: 'obsmon-bridge.json', build: bridgeDashboard },
];
