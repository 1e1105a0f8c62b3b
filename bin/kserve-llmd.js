#!/usr/bin/env node
// The CLI entry. A production image runs the compiled dist/ (see Dockerfile); from a source checkout
// the TypeScript is loaded through tsx so `npm start` works right after `npm ci`. KSERVE_LLMD_USE_DIST=1 runs
// dist/ (npm run build: the product only), =bench runs dist-bench/ (npm run build:bench: the product and bench/,
// so the compiled benchmarks measure the compiled product, as the image runs it).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const distDir = { 1: 'dist', bench: 'dist-bench' }[process.env.KSERVE_LLMD_USE_DIST ?? ''];
const compiled = distDir === undefined ? undefined : join(root, distDir, 'src', 'cli', 'entry.js');
if (compiled !== undefined && existsSync(compiled)) {
  await import(pathToFileURL(compiled).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(join(root, 'src', 'cli', 'entry.ts')).href);
}
