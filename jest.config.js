// Jest runs TypeScript ESM through @swc/jest; type checking is `tsc --noEmit` (npm run typecheck).
import { availableParallelism } from 'node:os';

export default {
  // Jest's default is cores − 1: one worker on a 2-core machine. Many suites wait on loopback I/O, child
  // processes and real timers, so a worker per core (at least 2) overlaps those waits with the CPU-bound suites.
  maxWorkers: Math.max(2, availableParallelism()),
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'es6' } },
    ],
  },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // A backstop for a hung test, not a performance check: with every core busy (npm run test:load) CPU-bound
  // suites run 4–6× slower than on an idle machine, and a test that needs real time says why where it waits.
  testTimeout: 120_000,
  // Every test file fails if it reads outside the repository (a fresh clone has nothing beside it).
  setupFilesAfterEnv: ['<rootDir>/test/support/repo-boundary.ts'],
  // Jest's transform cache inside the checkout too (beside prettier's and tsc's), not in the system's /tmp.
  cacheDirectory: '<rootDir>/node_modules/.cache/jest',
};
