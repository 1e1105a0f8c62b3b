// npm run test:e2e: the end-to-end scenarios (test-e2e/, docs/e2e.md) against the control plane named by
// KSERVE_LLMD_E2E_KUBECONFIG. Opt-in: without it, one line says how to enable it and the exit code is 0.
// Extra arguments go to Jest (e.g. a scenario file). Ends with "N passed, N failed" and the wall time.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const kubeconfig = process.env.KSERVE_LLMD_E2E_KUBECONFIG;
if (!kubeconfig) {
  console.log(
    'e2e skipped: set KSERVE_LLMD_E2E_KUBECONFIG to the ' +
      'kubeconfig of a control plane with Knative Serving ' +
      '(docs/e2e.md)',
  );
  process.exit(0);
}
if (!existsSync(kubeconfig)) {
  console.error(`KSERVE_LLMD_E2E_KUBECONFIG=${kubeconfig}: no such file`);
  process.exit(2);
}
const started = Date.now();
const run = spawnSync(
  process.execPath,
  ['scripts/run-tests.js', '--config', 'jest.e2e.config.js', '--runInBand', ...process.argv.slice(2)],
  { stdio: 'inherit' },
);
console.log(`e2e wall time: ${((Date.now() - started) / 1000).toFixed(1)} s`);
process.exit(run.status ?? 1);
