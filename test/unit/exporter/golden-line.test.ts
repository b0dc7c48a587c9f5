import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { loadOptions } from '../../../config/load.ts';
import { collectOnce } from '../../../exporter/agent.ts';
import { exporterOptionSpecs } from '../../../exporter/options.ts';
import { ProcfsSource } from '../../../exporter/sources/procfs.ts';
import { silentLogger } from '../../../lib/logger.ts';

const FIXTURE = fileURLToPath(new URL('../../fixtures/proc/', import.meta.url));
const GOLDEN = `${FIXTURE}expected-line.txt`;

// Regenerate with UPDATE_GOLDEN=1 after a deliberate change, and review the diff.
test('the exporter run on the fixture tree prints the golden line', async () => {
  // Everything but the filesystem collector, whose statfs numbers belong to the machine running the test.
  const collectors = 'cpu,memory,network,load,load-long,processes,temperature,uptime';
  const { values } = loadOptions(exporterOptionSpecs, ['--node', 'fixture', '--collectors', collectors], {});
  const source = new ProcfsSource({ procRoot: `${FIXTURE}proc`, sysRoot: `${FIXTURE}sys`, mounts: 'auto' });
  const line = (await collectOnce(values, silentLogger, { source })).replace(/^(\S+) \d+ /, '$1 <time> ');
  if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(GOLDEN, `${line}\n`);
  expect(line).toBe(readFileSync(GOLDEN, 'utf8').trimEnd());
});
