import { Gauge, type Registry } from './prom-core.ts';
import { VERSION } from './version.ts';

/**
 * `obsmon_build_info{version,nodejs} 1`, node_exporter's `*_build_info` convention: which release and
 * runtime each bridge and agent runs, so an operator finds the machines left on an old one.
 */
export function registerBuildInfo(registry: Registry): void {
  new Gauge({
    name: 'obsmon_build_info',
    help: 'Always 1; labels: the obsmon version and the Node.js version running it',
    labelNames: ['version', 'nodejs'] as const,
    registers: [registry],
  }).set({ version: VERSION, nodejs: process.versions.node }, 1);
}
