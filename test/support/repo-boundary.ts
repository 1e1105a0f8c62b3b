/**
 * Jest setup (setupFilesAfterEnv): fails a test file that reads a path outside the repository. A fresh clone in
 * an empty folder has nothing beside it, so a test that reads a sibling folder (or any absolute path elsewhere) passes
 * only on the machine it was written on. What a test creates itself (a temporary folder) it may read.
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
 * Roots a test may always read from: the repository, device files such as /dev/null, and the kernel's view of
 * the process (/proc/self, read by prom-client's default process metrics). Beyond these, a test may read what the
 * test process itself created (a mkdtemp folder, a file it wrote): see `created` below.
 */
const ALLOWED = [REPO_ROOT, '/dev/', '/proc/'];

/** Kept on the fs object: one patch per worker process, read and cleared by each test file in turn. */
const SEEN = Symbol.for('kserve-llmd.outside-repo-reads');
const CREATED = Symbol.for('kserve-llmd.created-paths');
type Audited = { [SEEN]?: string[]; [CREATED]?: Set<string> };
const audited = fs as Audited;

const under = (abs: string, root: string): boolean =>
  abs === root || abs.startsWith(root.endsWith('/') ? root : `${root}${path.sep}`);

function toPath(p: unknown): string | undefined {
  if (typeof p !== 'string' && !(p instanceof URL) && !Buffer.isBuffer(p)) return undefined; // a descriptor
  return path.resolve(p instanceof URL ? fileURLToPath(p) : p.toString());
}

/**
 * Temporary folders kserve-llmd's own processes create (`mkdtemp(tmpdir()/kserve-llmd-…)`, e.g. a CLI child's
 * self-signed certificate): a test may read what a child process it started wrote there.
 */
const OWN_TEMP = [path.join(tmpdir(), 'kserve-llmd-'), path.join(fs.realpathSync(tmpdir()), 'kserve-llmd-')];

/** The absolute path when `p` is outside the repository and not something the test process created. */
export function outsideRepo(p: unknown): string | undefined {
  const abs = toPath(p);
  if (abs === undefined || ALLOWED.some((root) => under(abs, root))) return undefined;
  if (OWN_TEMP.some((prefix) => abs.startsWith(prefix)) && !under(REPO_ROOT, path.dirname(abs))) return undefined;
  for (const c of audited[CREATED] ?? []) if (under(abs, c)) return undefined;
  return abs;
}

const note = (p: unknown): void => {
  const abs = toPath(p);
  if (abs !== undefined) audited[CREATED]?.add(abs);
};

const READERS = ['readFileSync', 'existsSync', 'statSync', 'readdirSync', 'openSync', 'createReadStream'] as const;
const ASYNC_READERS = ['readFile', 'stat', 'readdir', 'open', 'access'] as const;
const WRITERS = ['mkdirSync', 'mkdir', 'writeFileSync', 'writeFile', 'createWriteStream'] as const;

type Fn = (...args: unknown[]) => unknown;
function wrap<T extends object>(target: T, names: readonly string[], make: (original: Fn, name: string) => Fn): void {
  const t = target as Record<string, Fn>;
  for (const name of names) {
    const original = t[name];
    if (typeof original === 'function') t[name] = make(original, name);
  }
}

function auditReads<T extends object>(target: T, names: readonly string[], label: string): void {
  wrap(
    target,
    names,
    (original, name) =>
      function (this: unknown, ...args: unknown[]) {
        const outside = outsideRepo(args[0]);
        if (outside) audited[SEEN]?.push(`${label}${name}(${outside})`);
        return original.apply(this, args);
      },
  );
}

function noteWrites<T extends object>(target: T, names: readonly string[]): void {
  wrap(
    target,
    names,
    (original) =>
      function (this: unknown, ...args: unknown[]) {
        note(args[0]);
        return original.apply(this, args);
      },
  );
}

if (!audited[SEEN]) {
  audited[SEEN] = [];
  audited[CREATED] = new Set();
  auditReads(fs, READERS, 'fs.');
  auditReads(fs, ASYNC_READERS, 'fs.');
  auditReads(fs.promises, ASYNC_READERS, 'fs.promises.');
  noteWrites(fs, WRITERS);
  noteWrites(fs.promises, ['mkdir', 'writeFile']);
  // A rename's destination (the second argument) is the test's own too.
  wrap(
    fs,
    ['renameSync'],
    (original) =>
      function (this: unknown, ...args: unknown[]) {
        note(args[1]);
        return original.apply(this, args);
      },
  );
  wrap(
    fs.promises,
    ['rename'],
    (original) =>
      function (this: unknown, ...args: unknown[]) {
        note(args[1]);
        return original.apply(this, args);
      },
  );
  wrap(
    fs,
    ['mkdtempSync'],
    (original) =>
      function (this: unknown, ...args: unknown[]) {
        const dir = original.apply(this, args);
        note(dir);
        return dir;
      },
  );
  wrap(
    fs.promises,
    ['mkdtemp'],
    (original) =>
      async function (this: unknown, ...args: unknown[]) {
        const dir = await (original.apply(this, args) as Promise<string>);
        note(dir);
        return dir;
      },
  );
}

beforeAll(() => {
  audited[SEEN] = [];
});

afterAll(() => {
  expect(audited[SEEN]).toEqual([]);
});
