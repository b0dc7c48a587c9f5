import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { STATUSES, statusRank } from '../../../protocol/status.ts';

test('the status page ranks statuses as protocol/status.ts does, and judges no value itself', () => {
  const app = readFileSync(new URL('../../../bridge/page/app.js', import.meta.url), 'utf8');
  const rank = /^const RANK = (\{[^}]*\});$/m.exec(app)?.[1];
  expect(rank).toBeDefined();
  const parsed = new Map(Object.entries(JSON.parse(rank!.replace(/(\w+):/g, '"$1":')) as Record<string, number>));
  expect([...parsed.keys()]).toEqual([...STATUSES]);
  for (const status of STATUSES) expect(parsed.get(status), status).toBe(statusRank(status));
  // Statuses come from the bridge (API view, stream `status` of a report): no comparison with a level.
  expect(app).not.toMatch(/>=\s*\w+\.(warning|error)\b/);
});
