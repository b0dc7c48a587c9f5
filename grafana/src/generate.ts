import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { GRAFANA_DIR, generatedFiles } from './outputs.ts';

/**
 * Writes the dashboards and provisioning files Grafana loads. With `--check`, writes nothing and
 * exits 1 naming every file that differs from what the code generates.
 */
function main(args: readonly string[]): number {
  const check = args.includes('--check');
  const stale: string[] = [];
  for (const [path, content] of generatedFiles()) {
    const target = join(GRAFANA_DIR, path);
    const current = existsSync(target) ? readFileSync(target, 'utf8') : undefined;
    if (current === content) continue;
    stale.push(`grafana/${path}`);
    if (check) continue;
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
  if (check && stale.length > 0) {
    process.stderr.write(
      `Stale generated files (run: node --import tsx grafana/src/generate.ts):\n  ${stale.join('\n  ')}\n`,
    );
    return 1;
  }
  process.stdout.write(stale.length === 0 ? 'Grafana files up to date\n' : `Wrote ${stale.join(', ')}\n`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
