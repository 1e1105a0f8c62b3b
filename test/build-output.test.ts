/**
 * The production build and image carry the product only: no test code (the fake API server) and no benchmarks.
 * tsconfig.build.json's program is what `npm run build` compiles and the Dockerfile copies (dist/); the layers
 * themselves are checked by ESLint (layers.js, used by eslint.config.js).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadRegistry, NO_BENCH } from '../src/cli/bench.js';
import { UsageError } from '../src/cli-args.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

describe('the production build', () => {
  it('compiles every product directory and nothing from bench/, test/, test-e2e/ or scripts/', () => {
    const out = execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--listFilesOnly'], {
      cwd: root,
      encoding: 'utf8',
    });
    const ours = out
      .split('\n')
      .filter((f) => f.trim() !== '' && !f.includes('/node_modules/'))
      .map((f) => relative(root, f.trim()));
    const build = JSON.parse(readFileSync(new URL('../tsconfig.build.json', import.meta.url), 'utf8')) as {
      include: string[];
    };
    // serving-runtimes/ is YAML only (the Dockerfile copies it beside dist/).
    const product = build.include.filter((d) => d !== 'serving-runtimes').sort();
    expect([...new Set(ours.map((f) => f.split('/')[0]))].sort()).toEqual(product);
    expect(ours.filter((f) => /^(bench|test|test-e2e|scripts)\//.test(f))).toEqual([]);
  });

  it('the image build context leaves bench/ and the tests out (.dockerignore)', () => {
    const ignored = readFileSync(new URL('../.dockerignore', import.meta.url), 'utf8')
      .split('\n')
      .map((l) => l.trim());
    for (const dir of ['bench', 'test', 'test-e2e']) expect(ignored).toContain(dir);
  });

  it('`bench` without bench/ (the image) is a one-line usage error, not a stack trace', async () => {
    const missing = async (specifier: string): Promise<never> => {
      const err = new Error(`Cannot find module '/app/dist/bench/registry.js' imported from ${specifier}`);
      throw Object.assign(err, { code: 'ERR_MODULE_NOT_FOUND' });
    };
    await expect(loadRegistry(missing)).rejects.toEqual(new UsageError(NO_BENCH));
    const broken = async (): Promise<never> => {
      throw new SyntaxError('Unexpected token');
    };
    await expect(loadRegistry(broken)).rejects.toThrow(SyntaxError);
  });

  it('from a source checkout the registry loads', async () => {
    const registry = await loadRegistry();
    expect(registry.benchNames()).toContain('trace');
  });
});
