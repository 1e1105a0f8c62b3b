/** schemas/README.md, written from the source list so that the two never disagree. */
import type { SchemaSource } from './sources.js';

const HOW: Record<SchemaSource['kind'], string> = {
  crd: 'CRD: only the listed versions, descriptions removed',
  openapi: 'OpenAPI v3: only the listed kinds and the schemas they reference, descriptions removed',
  verbatim: 'copied byte for byte',
};

function row(s: SchemaSource): string {
  const what = s.kind === 'crd' ? s.versions.join(', ') : s.kind === 'openapi' ? s.kinds.join(', ') : '—';
  const commit = /^[0-9a-f]{40}$/.test(s.upstream.commit) ? ` (${s.upstream.commit.slice(0, 12)})` : '';
  return (
    `| \`${s.file}\` | \`${s.upstream.repository}\` \`${s.upstream.ref}\`${commit} | \`${s.upstreamPath}\` | ` +
    `${HOW[s.kind]}: ${what} | ${s.use} |`
  );
}

export function renderReadme(sources: readonly SchemaSource[]): string {
  return [
    '# Upstream schemas and manifests used by the tests',
    '',
    'Everything the test suite validates generated objects against lives here, so a fresh clone needs nothing',
    'beside it. Written by `npm run schemas:update -- --from DIR` from the list in `scripts/schemas/sources.ts`',
    '(do not edit by hand; add a source there and re-run). `DIR` holds the upstream files laid out as',
    '`crds/<family>/*.yaml`, `openapi/v1.28/*.json` and `examples/kserve/…`; each file below names the upstream',
    'repository, tag and path it was taken from. Trimming keeps what validation reads: a CRD keeps its listed',
    'versions, an OpenAPI document the listed kinds and every schema they reference; descriptions are removed.',
    'Kubernetes OpenAPI is what a v1.28.7 API server serves at `/openapi/v3/<group-version>`, the oldest',
    'Kubernetes the project supports.',
    '',
    '| file | upstream | upstream path | kept | used for |',
    '|---|---|---|---|---|',
    ...sources.map(row),
    '',
  ].join('\n');
}
