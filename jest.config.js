// Jest runs TypeScript ESM through @swc/jest; type checking is `tsc --noEmit` (npm run typecheck).
export default {
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
  testTimeout: 30000,
  // Every test file fails if it reads outside the repository (a fresh clone has nothing beside it).
  setupFilesAfterEnv: ['<rootDir>/test/support/repo-boundary.ts'],
};
