/**
 * `npm run schemas:update -- --from DIR`: refreshes `schemas/` from a folder of upstream files laid out as
 * `DIR/crds/<family>/*.yaml`, `DIR/openapi/v1.28/*.json` and `DIR/examples/kserve/**` (each entry's `from` in
 * sources.ts), trims them (trim.ts), removes files no entry lists, and rewrites `schemas/README.md`.
 * `--check` writes nothing and exits 1 when `schemas/` differs from what DIR would give.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderReadme } from './readme.js';
import { SOURCES, type SchemaSource } from './sources.js';
import { trimCrd, trimOpenApi } from './trim.js';

export const SCHEMAS_DIR = fileURLToPath(new URL('../../schemas/', import.meta.url));

/** What `schemas/<file>` should contain, built from `from/<entry.from>`. */
export function build(entry: SchemaSource, from: string): string {
  const src = path.join(from, entry.from);
  if (!existsSync(src)) throw new Error(`${src}: not found (listed in scripts/schemas/sources.ts as ${entry.file})`);
  const text = readFileSync(src, 'utf8');
  const origin = `${entry.upstream.repository}@${entry.upstream.ref}:${entry.upstreamPath}`;
  switch (entry.kind) {
    case 'verbatim':
      return text;
    case 'crd':
      return (
        `# ${origin}, trimmed by npm run schemas:update ` + `(schemas/README.md)\n${trimCrd(text, entry.versions, src)}`
      );
    case 'openapi':
      return `${JSON.stringify(trimOpenApi(JSON.parse(text), entry.kinds, src), null, 1)}\n`;
  }
}

function listed(dir: string, root = dir): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? listed(full, root) : [path.relative(root, full)];
  });
}

/** Every file that update would write, keyed by its path under schemas/. */
export function plan(from: string, sources: readonly SchemaSource[] = SOURCES): Map<string, string> {
  const out = new Map<string, string>();
  for (const entry of sources) out.set(entry.file, build(entry, from));
  out.set('README.md', renderReadme(sources));
  return out;
}

/** Brings `target` to what `from` gives; returns what changed (or would change, with `check`). */
export function update(
  from: string,
  target: string,
  check: boolean,
  sources: readonly SchemaSource[] = SOURCES,
): string[] {
  const want = plan(from, sources);
  const changes: string[] = [];
  for (const [file, text] of want) {
    const full = path.join(target, file);
    if (existsSync(full) && readFileSync(full, 'utf8') === text) continue;
    changes.push(`${existsSync(full) ? 'update' : 'add'} ${file}`);
    if (!check) {
      mkdirSync(path.dirname(full), { recursive: true });
      writeFileSync(full, text);
    }
  }
  for (const file of listed(target)) {
    if (want.has(file)) continue;
    changes.push(`remove ${file}`);
    if (!check) rmSync(path.join(target, file));
  }
  return changes;
}

function main(argv: string[]): number {
  const i = argv.indexOf('--from');
  const from = i >= 0 ? argv[i + 1] : undefined;
  if (!from) {
    process.stderr.write('usage: npm run schemas:update -- --from DIR [--check]\n');
    return 2;
  }
  const check = argv.includes('--check');
  try {
    const changes = update(path.resolve(from), SCHEMAS_DIR, check);
    process.stdout.write(changes.length === 0 ? 'schemas/ is up to date\n' : `${changes.join('\n')}\n`);
    return check && changes.length > 0 ? 1 : 0;
  } catch (err) {
    process.stderr.write(`schemas:update: ${(err as Error).message}\n`);
    return 1;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  process.exitCode = main(process.argv.slice(2));
}
