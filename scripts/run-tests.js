// Runs Jest (ESM mode) and ends with the plain line CI reads: "N passed, N failed".
// Jest's own summary ("Tests: 3 passed, 3 total") is not in that form.
// KSERVE_LLMD_TEST_RESULTS=FILE keeps Jest's JSON results there (scripts/test-timing.js reads suite times).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'kserve-llmd-jest-'));
const out = process.env.KSERVE_LLMD_TEST_RESULTS || join(dir, 'results.json');
const jestBin = join('node_modules', 'jest', 'bin', 'jest.js');
const args = [
  '--experimental-vm-modules',
  '--no-warnings=ExperimentalWarning',
  jestBin,
  '--json',
  `--outputFile=${out}`,
  ...process.argv.slice(2),
];
const run = spawnSync(process.execPath, args, { stdio: 'inherit' });

let passed = 0;
let failed = 0;
try {
  const results = JSON.parse(readFileSync(out, 'utf8'));
  passed = results.numPassedTests;
  failed = results.numFailedTests + (results.numRuntimeErrorTestSuites ?? 0);
} catch (err) {
  console.error(`could not read Jest results: ${err.message}`);
  failed = Math.max(failed, 1);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(run.status === 0 && failed === 0 ? 0 : 1);
