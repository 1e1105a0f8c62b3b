#!/usr/bin/env node
// The CLI entry. A production image runs the compiled dist/ (see Dockerfile); from a source checkout
// the TypeScript is loaded through tsx so `npm start` works right after `npm ci`.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const compiled = join(root, 'dist', 'src', 'cli', 'entry.js');
if (process.env.KSERVE_LLMD_USE_DIST === '1' && existsSync(compiled)) {
  await import(pathToFileURL(compiled).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(join(root, 'src', 'cli', 'entry.ts')).href);
}
