/**
 * The layer table (layers.js) as `npm test`'s ESLint run applies it: an import the wrong way is an error naming both
 * layers, an import the table allows is not. The rule is taken from the project's own eslint.config.js (the block
 * that plugs it in), so a rule that is unplugged, switched off or never matches fails here. ESLint's Linter runs
 * it alone: the full config would load TypeScript, which probes paths outside the repository.
 */
import { Linter } from 'eslint';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// A plain-JS module without declarations: imported through a string-typed specifier, its shape stated here.
const CONFIG: string = '../eslint.config.js';
const config = ((await import(CONFIG)) as { default: Linter.Config[] }).default;
const block = config.find((c) => c.rules?.['layers/imports'] !== undefined);
const linter = new Linter({ cwd: root });

/** The layers/imports messages for `code` as if it were the file at `rel`. */
function layerErrors(rel: string, code: string): string[] {
  const only = { plugins: block?.plugins, rules: { 'layers/imports': block?.rules?.['layers/imports'] } };
  const messages = linter.verify(code, [{ files: ['**/*.js'] }, only], join(root, rel));
  return messages.filter((m) => m.ruleId === 'layers/imports').map((m) => m.message);
}

describe('the layer rule (layers.js)', () => {
  it('is plugged into eslint.config.js as an error', () => {
    expect(block?.rules?.['layers/imports']).toBe('error');
  });

  it.each([
    ['core/x.js', "import '../webhooks/pod/mutate.js';", 'core/ may not import webhooks/'],
    ['core/x.js', "export * from '../controller/loop.js';", 'core/ may not import controller/'],
    ['model/x.js', "import '../src/log.js';", 'model/ may not import src/'],
    ['src/x.js', "import '../core/names.js';", 'src/ may not import core/'],
    ['src/x.js', "import './cli/entry.js';", 'src/ may not import src/cli/'],
    ['webhooks/x.js', "import '../controller/loop.js';", 'webhooks/ may not import controller/'],
    ['controller/x.js', "const m = await import('../autoscaler/main.js');", 'controller/ may not import autoscaler/'],
    ['local/x.js', "import '../bench/registry.js';", 'local/ may not import bench/'],
    ['render/x.js', "import '../test/support/index.js';", 'render/ may not import test/'],
    ['src/cli/x.js', "import '../../bench/registry.js';", 'src/cli/ may not import bench/'],
  ])('%s: %s is rejected', (rel, code, message) => {
    const errors = layerErrors(rel, code);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(message);
  });

  it.each([
    ['core/x.js', "import '../src/log.js';"],
    ['webhooks/x.js', "import '../core/names.js'; import '../src/log.js';"],
    ['render/x.js', "import '../controller/loop.js'; import '../webhooks/pod/mutate.js';"],
    ['local/x.js', "import '../autoscaler/main.js'; import '../model/engine.js';"],
    ['src/cli/x.js', "import '../../render/command.js'; import '../../local/command.js';"],
    ['bench/x.js', "import '../test/support/index.js'; import '../local/command.js';"],
  ])('%s: %s is allowed', (rel, code) => {
    expect(layerErrors(rel, code)).toEqual([]);
  });
});
