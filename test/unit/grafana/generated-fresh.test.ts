import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { GRAFANA_DIR, generatedFiles } from '../../../grafana/src/outputs.ts';

describe('generated Grafana files', () => {
  const files = generatedFiles();

  test.each([...files.keys()])(
    'committed grafana/%s is what grafana/src generates (regenerate: node --import tsx grafana/src/generate.ts)',
    (path) => {
      const target = join(GRAFANA_DIR, path);
      expect(existsSync(target), `grafana/${path} is missing`).toBe(true);
      expect(readFileSync(target, 'utf8')).toBe(files.get(path));
    },
  );

  test('no stale dashboard or provisioning file is left behind by a renamed generator', () => {
    for (const dir of ['dashboards', 'provisioning/datasources', 'provisioning/dashboards', 'provisioning/alerting']) {
      for (const file of readdirSync(join(GRAFANA_DIR, dir)))
        expect(files.has(`${dir}/${file}`), `grafana/${dir}/${file}`).toBe(true);
    }
  });

  test('generation is deterministic', () => {
    expect(generatedFiles()).toEqual(files);
  });
});
