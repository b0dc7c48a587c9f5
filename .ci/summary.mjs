// Prints the one line CI reads, "N passed, N failed", from vitest's JSON report. A step that failed
// outside vitest (type-check) or a test file that could not load counts as one failure, so the line
// never says "0 failed" for a red run. Exits non-zero when anything failed.
import { existsSync, readFileSync } from 'node:fs';

const earlierStatus = Number(process.argv[2] ?? 0);
const path = new URL('./vitest.json', import.meta.url);
let passed = 0;
let failed;
if (existsSync(path)) {
  const report = JSON.parse(readFileSync(path, 'utf8'));
  passed = report.numPassedTests;
  failed = report.numFailedTests;
  const brokenFiles = report.testResults.filter(
    (f) => f.status === 'failed' && f.assertionResults.every((a) => a.status !== 'failed'),
  ).length;
  failed += brokenFiles;
} else {
  failed = 1;
}
if (earlierStatus !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
