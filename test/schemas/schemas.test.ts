/**
 * schemas/: every file the tests validate against is in the repository, listed in scripts/schemas/sources.ts
 * with its upstream source, described in schemas/README.md, and in trimmed form; `schemas:update` adds, updates
 * and removes files from a folder of upstream files.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import yaml from 'js-yaml';
import { renderReadme } from '../../scripts/schemas/readme.js';
import { SOURCES, type SchemaSource } from '../../scripts/schemas/sources.js';
import { stripDescriptions, TrimError, trimCrd, trimOpenApi } from '../../scripts/schemas/trim.js';
import { SCHEMAS_DIR, update } from '../../scripts/schemas/update.js';

const filesUnder = (dir: string, root = dir): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(path.join(dir, e.name), root) : [path.relative(root, path.join(dir, e.name))],
  );

describe('schemas/ in the repository', () => {
  it('holds exactly the listed files and the README written from the list', () => {
    const listed = [...SOURCES.map((s) => s.file), 'README.md'].sort();
    expect(filesUnder(SCHEMAS_DIR).sort()).toEqual(listed);
    expect(readFileSync(path.join(SCHEMAS_DIR, 'README.md'), 'utf8')).toBe(renderReadme(SOURCES));
  });

  it('names an upstream repository, tag and path for every file', () => {
    for (const s of SOURCES) {
      expect(s.upstream.repository).toMatch(/^[\w.-]+\/[\w.-]+$/);
      expect(s.upstream.ref).not.toBe('');
      expect(s.upstreamPath).not.toBe('');
    }
  });

  it.each(SOURCES.filter((s) => s.kind === 'crd').map((s) => [s.file, s] as const))(
    '%s is trimmed: only its listed versions, no descriptions',
    (file, s) => {
      const text = readFileSync(path.join(SCHEMAS_DIR, file), 'utf8');
      const body = text.replace(/^#.*\n/, '');
      expect(trimCrd(body, (s as { versions: string[] }).versions, file)).toBe(body);
    },
  );

  it.each(SOURCES.filter((s) => s.kind === 'openapi').map((s) => [s.file, s] as const))(
    '%s is trimmed to its kinds and their references',
    (file, s) => {
      const doc = JSON.parse(readFileSync(path.join(SCHEMAS_DIR, file), 'utf8')) as unknown;
      expect(trimOpenApi(doc, (s as { kinds: string[] }).kinds, file)).toEqual(doc);
    },
  );
});

describe('trimming', () => {
  it('drops description strings but keeps a field named description', () => {
    const schema = {
      description: 'a thing',
      properties: { description: { type: 'string', description: 'the field' }, n: { type: 'integer' } },
    };
    expect(stripDescriptions(schema)).toEqual({
      properties: { description: { type: 'string' }, n: { type: 'integer' } },
    });
  });

  const crdText = (versions: { name: string; served: boolean }[]): string =>
    yaml.dump({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: 'widgets.example.com' },
      spec: {
        group: 'example.com',
        names: { kind: 'Widget', plural: 'widgets' },
        scope: 'Namespaced',
        versions: versions.map((v) => ({
          ...v,
          storage: v.name === 'v1',
          schema: { openAPIV3Schema: { type: 'object', description: 'Widget' } },
        })),
      },
    });

  it('keeps only the listed CRD versions, and refuses a missing or unserved one', () => {
    const text = crdText([
      { name: 'v1', served: true },
      { name: 'v1beta1', served: true },
      { name: 'v1alpha1', served: false },
    ]);
    const kept = yaml.load(trimCrd(text, ['v1'], 'w.yaml')) as { spec: { versions: { name: string }[] } };
    expect(kept.spec.versions.map((v) => v.name)).toEqual(['v1']);
    expect(JSON.stringify(kept)).not.toContain('description');
    expect(() => trimCrd(text, ['v2'], 'w.yaml')).toThrow(
      new TrimError('w.yaml: version v2 not found (has v1, v1beta1, v1alpha1)'),
    );
    expect(() => trimCrd(text, ['v1alpha1'], 'w.yaml')).toThrow('w.yaml: version v1alpha1 is not served');
  });

  const ref = (name: string): { $ref: string } => ({ $ref: `#/components/schemas/${name}` });
  const openapiDoc = {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.28.7' },
    components: {
      schemas: {
        'v1.Pod': {
          'x-kubernetes-group-version-kind': [{ group: '', version: 'v1', kind: 'Pod' }],
          properties: { spec: ref('v1.PodSpec'), metadata: ref('meta.ObjectMeta') },
        },
        'v1.PodSpec': { description: 'spec', properties: { containers: { items: ref('v1.Container') } } },
        'v1.Container': { properties: { name: { type: 'string' } } },
        'meta.ObjectMeta': { properties: { name: { type: 'string' } } },
        'v1.Node': { 'x-kubernetes-group-version-kind': [{ group: '', version: 'v1', kind: 'Node' }] },
      },
    },
  };

  it('keeps the OpenAPI schemas a kind reaches, and nothing else', () => {
    const out = trimOpenApi(openapiDoc, ['Pod'], 'api_v1.json') as { components: { schemas: object } };
    expect(Object.keys(out.components.schemas)).toEqual(['meta.ObjectMeta', 'v1.Container', 'v1.Pod', 'v1.PodSpec']);
    expect(JSON.stringify(out)).not.toContain('"description"');
    expect(() => trimOpenApi(openapiDoc, ['Widget'], 'api_v1.json')).toThrow(
      'api_v1.json: no schema declares kind Widget',
    );
  });

  it('refuses a reference to a schema the document does not define', () => {
    const broken = structuredClone(openapiDoc);
    delete (broken.components.schemas as Record<string, unknown>)['v1.Container'];
    expect(() => trimOpenApi(broken, ['Pod'], 'api_v1.json')).toThrow('v1.Container is referenced but not defined');
  });
});

describe('npm run schemas:update', () => {
  const upstream = { repository: 'example/widgets', ref: 'v1.0.0', commit: '0'.repeat(40) };
  const sources: SchemaSource[] = [
    { kind: 'verbatim', file: 'upstream/a.yaml', from: 'examples/a.yaml', upstream, upstreamPath: 'a.yaml', use: 'a' },
  ];
  let from: string;
  let target: string;
  beforeEach(() => {
    const root = mkdtempSync(path.join(tmpdir(), 'schemas-update-'));
    from = path.join(root, 'from');
    target = path.join(root, 'target');
    mkdirSync(path.join(from, 'examples'), { recursive: true });
    mkdirSync(path.join(target, 'stale'), { recursive: true });
    writeFileSync(path.join(from, 'examples', 'a.yaml'), 'a: 1\n');
    writeFileSync(path.join(target, 'stale', 'old.yaml'), 'old: 1\n');
  });
  afterEach(() => rmSync(path.dirname(from), { recursive: true, force: true }));

  it('adds, removes, writes the README, and then has nothing left to do', () => {
    expect(update(from, target, true, sources)).toEqual([
      'add upstream/a.yaml',
      'add README.md',
      'remove stale/old.yaml',
    ]);
    expect(filesUnder(target)).toEqual(['stale/old.yaml']); // --check wrote nothing
    update(from, target, false, sources);
    expect(filesUnder(target).sort()).toEqual(['README.md', 'upstream/a.yaml']);
    expect(readFileSync(path.join(target, 'upstream', 'a.yaml'), 'utf8')).toBe('a: 1\n');
    expect(update(from, target, true, sources)).toEqual([]);
    writeFileSync(path.join(from, 'examples', 'a.yaml'), 'a: 2\n');
    expect(update(from, target, true, sources)).toEqual(['update upstream/a.yaml']);
  });

  it('names the missing upstream file', () => {
    rmSync(path.join(from, 'examples', 'a.yaml'));
    expect(() => update(from, target, true, sources)).toThrow(
      /examples\/a\.yaml: not found \(listed in scripts\/schemas\/sources\.ts as upstream\/a\.yaml\)/,
    );
  });
});
