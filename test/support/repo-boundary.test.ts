/** The repository boundary check itself: what counts as outside, and that a read outside is caught. */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { outsideRepo, REPO_ROOT } from './repo-boundary.js';

describe('repo boundary', () => {
  it('allows the repository and what the test created, flags everything else', () => {
    expect(outsideRepo(path.join(REPO_ROOT, 'schemas', 'README.md'))).toBeUndefined();
    const made = mkdtempSync(path.join(tmpdir(), 'boundary-'));
    expect(outsideRepo(path.join(made, 'x.yaml'))).toBeUndefined();
    rmSync(made, { recursive: true });
    const sibling = path.resolve(REPO_ROOT, '..', 'shared', 'crds');
    expect(outsideRepo(sibling)).toBe(sibling);
    expect(outsideRepo(path.join(tmpdir(), 'not-made-by-this-test'))).toBe(
      path.join(tmpdir(), 'not-made-by-this-test'),
    );
    expect(outsideRepo(`${REPO_ROOT}-other/x`)).toBe(`${REPO_ROOT}-other/x`);
    expect(outsideRepo(3)).toBeUndefined();
  });

  it('the named import sees the audited function (the check reaches ESM importers)', () => {
    expect(readFileSync.name).not.toBe('readFileSync');
  });

  it('records a read outside the repository for the file-level check', () => {
    const fs = createRequire(import.meta.url)('node:fs') as Record<symbol, string[]>;
    const seen = fs[Symbol.for('kserve-llmd.outside-repo-reads')] as string[];
    const before = seen.length;
    existsSync('/kserve-llmd-not-a-repo-path');
    expect(seen.slice(before)).toEqual(['fs.existsSync(/kserve-llmd-not-a-repo-path)']);
    seen.splice(before); // this one was on purpose
  });
});

/** Every file the repository ships, except dependencies, build output and the benchmark traces (data). */
function repoFiles(dir = REPO_ROOT): string[] {
  const skip = new Set(['node_modules', '.git', 'dist', 'coverage', 'traces']);
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (skip.has(e.name)) return [];
    const full = path.join(dir, e.name);
    return e.isDirectory() ? repoFiles(full) : /\.(ts|js|mjs|json|ya?ml|md|sh)$|^run$/.test(e.name) ? [full] : [];
  });
}

describe('no code, script or doc points outside the repository', () => {
  // Built from parts so that this file does not match itself.
  const patterns = [new RegExp(['\\.\\.', 'shared'].join('/')), new RegExp(['', 'work', ''].join('/')), /SHARED_DIR/];

  it.each(patterns.map((p) => [p.source, p] as const))('no file mentions %s', (_source, pattern) => {
    const hits = repoFiles()
      .filter((f) => f !== fileURLToPath(import.meta.url))
      .flatMap((f) =>
        readFileSync(f, 'utf8')
          .split('\n')
          .flatMap((line, i) =>
            pattern.test(line) ? [`${path.relative(REPO_ROOT, f)}:${i + 1}: ${line.trim()}`] : [],
          ),
      );
    expect(hits).toEqual([]);
  });
});
