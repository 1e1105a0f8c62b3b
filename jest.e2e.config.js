// The end-to-end suite (npm run test:e2e, docs/e2e.md): scenarios under test-e2e/ against a real control plane
// named by KSERVE_LLMD_E2E_KUBECONFIG. Never part of `npm test` (jest.config.js matches test/**/*.test.ts only).
// One worker: the scenarios share the cluster-wide webhook configuration and run one after another (each file
// is self-contained, so any order and any single file work). No
// repository-boundary audit here: the suite reads the kubeconfig files the environment names.
import base from './jest.config.js';

export default {
  ...base,
  testMatch: ['<rootDir>/test-e2e/**/*.e2e.ts'],
  setupFilesAfterEnv: [],
  maxWorkers: 1,
  testTimeout: 240_000,
  // Every scenario stops its processes and closes its clients in afterAll; an undici keep-alive timer can still
  // hold the loop for a few seconds after the last file, which would only add to the suite's wall time.
  forceExit: true,
};
