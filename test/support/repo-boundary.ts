/**
 * Jest setup (setupFilesAfterEnv): fails a test file that reads a path outside the repository. A fresh clone in
 * an empty folder has nothing beside it, so a test that reads a sibling folder (or any absolute path elsewhere) passes
 * only on the machine it was written on. Temporary directories the tests create are allowed (ALLOWED below).
 */
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect } from '@jest/globals';

// Node's own fs object, patched before any test file imports `node:fs`: Jest builds each file's ESM view of a
// core module from this object when the file first imports it, so named imports see the audited functions.
const fs = createRequire(import.meta.url)('node:fs') as typeof import('node:fs');

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * Roots a test may read from: the repository, temporary directories, device files such as /dev/null, and the
 * kernel's view of the process (/proc/self, read by prom-client's default process metrics).
 */
const ALLOWED = [REPO_ROOT, fs.realpathSync(tmpdir()), path.resolve(tmpdir()), '/dev/', '/proc/'];

export function outsideRepo(p: unknown): string | undefined {
  if (typeof p !== 'string' && !(p instanceof URL) && !Buffer.isBuffer(p)) return undefined; // a descriptor
  const s = p instanceof URL ? fileURLToPath(p) : p.toString();
  const abs = path.resolve(s);
  return ALLOWED.some((root) => abs === root || abs.startsWith(root.endsWith('/') ? root : `${root}${path.sep}`))
    ? undefined
    : abs;
}

/** Kept on the fs object: one patch per worker process, read and cleared by each test file in turn. */
const SEEN = Symbol.for('kserve-llmd.outside-repo-reads');
type Audited = { [SEEN]?: string[] };
const READERS = ['readFileSync', 'existsSync', 'statSync', 'readdirSync', 'openSync', 'createReadStream'] as const;
const ASYNC_READERS = ['readFile', 'stat', 'readdir', 'open', 'access'] as const;

type Fn = (...args: unknown[]) => unknown;
function watch<T extends object>(target: T, names: readonly string[], label: string): void {
  const t = target as Record<string, Fn>;
  for (const name of names) {
    const original = t[name];
    if (typeof original !== 'function') continue;
    t[name] = function (this: unknown, ...args: unknown[]) {
      const outside = outsideRepo(args[0]);
      if (outside) (fs as Audited)[SEEN]?.push(`${label}${name}(${outside})`);
      return original.apply(this, args);
    };
  }
}

if (!(fs as Audited)[SEEN]) {
  (fs as Audited)[SEEN] = [];
  watch(fs, READERS, 'fs.');
  watch(fs, ASYNC_READERS, 'fs.');
  watch(fs.promises, ASYNC_READERS, 'fs.promises.');
}

beforeAll(() => {
  (fs as Audited)[SEEN] = [];
});

afterAll(() => {
  expect((fs as Audited)[SEEN]).toEqual([]);
});
