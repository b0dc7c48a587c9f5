import { fileURLToPath } from 'node:url';
import { DASHBOARDS } from './dashboards/index.ts';
import { finalizeDashboard } from './finalize.ts';
import { alertRulesYaml, dashboardsProviderYaml, datasourcesYaml } from './provisioning.ts';

/** The repository's grafana/ directory. */
export const GRAFANA_DIR = fileURLToPath(new URL('../', import.meta.url));

/** Every generated file, path relative to grafana/ → content (what generate.ts writes and the freshness test compares). */
export function generatedFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const { file, build } of DASHBOARDS)
    files.set(`dashboards/${file}`, `${JSON.stringify(finalizeDashboard(build().build()), null, 2)}\n`);
  files.set('provisioning/datasources/obsmon.yml', datasourcesYaml());
  files.set('provisioning/dashboards/obsmon.yml', dashboardsProviderYaml());
  files.set('provisioning/alerting/obsmon-rules.yml', alertRulesYaml());
  return files;
}
