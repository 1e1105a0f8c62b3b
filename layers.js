// The import directions between the project's directories, in one place (README "Layout"), enforced by the
// `layers/imports` ESLint rule below (eslint.config.js uses it, so `npm test` fails on a wrong arrow).
//
//   shared core    src/ (infrastructure)  ←  core/ (annotation contract, names, the InferenceService mutation)
//                  model/ (the engine model: vLLM engine, KV/prefix cache, router, presets; imports nothing)
//   components     webhooks/  controller/  autoscaler/        (each: shared core only, never each other)
//   composition    render/  local/  src/cli/                  (components and the shared core)
//   tools          bench/  test/  test-e2e/  scripts/         (anything; nothing product imports them)
//
// A directory may import its own files and the layers listed for it. src/cli/ is the binary's composition
// root, so the rest of src/ may not import it.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SHARED = ['src', 'core', 'model'];
const COMPONENTS = ['webhooks', 'controller', 'autoscaler'];
const ANY = null;

/** Directory → the directories it may import (besides itself). `null`: anything in the repository. */
export const LAYERS = {
  src: [],
  model: [],
  core: ['src'],
  webhooks: ['src', 'core'],
  controller: ['src', 'core'],
  autoscaler: ['src', 'core'],
  render: [...SHARED, 'webhooks', 'controller'],
  local: [...SHARED, ...COMPONENTS],
  'src/cli': [...SHARED, ...COMPONENTS, 'render', 'local'],
  bench: ANY,
  test: ANY,
  'test-e2e': ANY,
  scripts: ANY,
};

/** The layer a repository-relative path belongs to (`src/cli` before `src`), or undefined outside the table. */
export function layerOf(rel) {
  const parts = rel.split('/');
  if (parts[0] === 'src' && parts[1] === 'cli' && parts.length > 2) return 'src/cli';
  return Object.hasOwn(LAYERS, parts[0]) && parts.length > 1 ? parts[0] : undefined;
}

/** An ESLint rule: every relative import (static, dynamic with a literal, re-export) follows LAYERS. */
export const importsRule = {
  meta: {
    type: 'problem',
    docs: { description: 'imports follow the layer table in layers.js' },
    schema: [],
    messages: { wrongWay: '{{from}}/ may not import {{to}}/ ({{spec}}): allowed {{allowed}} (layers.js)' },
  },
  create(context) {
    const root = path.dirname(fileURLToPath(import.meta.url));
    const file = path.relative(root, context.filename).split(path.sep).join('/');
    const from = layerOf(file);
    if (from === undefined || LAYERS[from] === ANY) return {};
    const check = (node, source) => {
      if (!source || typeof source.value !== 'string' || !source.value.startsWith('.')) return;
      const target = path.relative(root, path.resolve(path.dirname(context.filename), source.value));
      const to = layerOf(target.split(path.sep).join('/'));
      if (to === undefined || to === from || LAYERS[from].includes(to)) return;
      const allowed = LAYERS[from].length > 0 ? LAYERS[from].join(', ') : 'none';
      context.report({ node, messageId: 'wrongWay', data: { from, to, spec: source.value, allowed } });
    };
    return {
      ImportDeclaration: (n) => check(n, n.source),
      ExportNamedDeclaration: (n) => check(n, n.source),
      ExportAllDeclaration: (n) => check(n, n.source),
      ImportExpression: (n) => check(n, n.source.type === 'Literal' ? n.source : undefined),
    };
  },
};
