/**
 * Every YAML under examples/ parses and is what it claims: Kubernetes and KServe kinds against the real
 * schemas, the webhook config against its parser, the GitOps objects (Argo CD, Flux: no CRD schemas here)
 * structurally, with every path they point at rendering as kustomize would. Plus the Dockerfile contract.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { parseWebhookConfig, defaultWebhookConfig } from '../../src/config.js';
import { mutateInferenceService } from '../../core/isvc/mutate.js';
import { kustomizeBuild, loadYamlDocuments, type KObject } from '../support/kustomize.js';
import { schemaSourceFor, validateObject } from '../support/schema.js';
import { build, filesUnder, one, repo, repoRoot } from './helpers.js';

const GITOPS_GROUPS = ['argoproj.io', 'source.toolkit.fluxcd.io', 'kustomize.toolkit.fluxcd.io'];
const rel = (file: string): string => path.relative(repoRoot, file);
const docsOf = (file: string): KObject[] =>
  path.basename(file).startsWith('kustomization.') ? [] : loadYamlDocuments(file);

describe('examples/', () => {
  const files = filesUnder('examples', ['.yaml', '.yml']).filter((f) => !f.endsWith('config.yaml'));

  it('covers the InferenceService examples and the GitOps folders', () => {
    const names = files.map(rel);
    expect(names).toEqual(
      expect.arrayContaining([
        'examples/nvidia-basic.yaml',
        'examples/gitops/argocd/kserve-llmd.yaml',
        'examples/gitops/flux/kserve-llmd.yaml',
        'examples/gitops/sample/inferenceservice.yaml',
      ]),
    );
  });

  it.each(
    filesUnder('examples', ['.yaml', '.yml'])
      .filter((f) => !f.endsWith('config.yaml'))
      .map(rel),
  )('%s: Kubernetes and KServe kinds validate against their schemas', (file) => {
    for (const o of docsOf(repo(file))) {
      const group = String(o.apiVersion).split('/')[0]!;
      if (GITOPS_GROUPS.includes(group)) continue; // structural checks below
      expect(schemaSourceFor({ apiVersion: o.apiVersion, kind: o.kind })).toBeDefined();
      expect([o.kind, validateObject(o)]).toEqual([o.kind, []]);
    }
  });

  it('examples/config.yaml parses with the webhook config parser and equals the defaults', () => {
    expect(parseWebhookConfig(yaml.load(readFileSync(repo('examples', 'config.yaml'), 'utf8')))).toEqual(
      defaultWebhookConfig(),
    );
  });

  it('the GitOps sample InferenceService is admitted by the webhook and renders as a kustomization', () => {
    const objs = kustomizeBuild(repo('examples', 'gitops', 'sample'));
    for (const o of objs) expect(validateObject(o)).toEqual([]);
    const outcome = mutateInferenceService(one(objs, 'InferenceService', 'llama-8b'), defaultWebhookConfig());
    expect(outcome.kind).toBe('mutated');
  });
});

describe('examples/gitops: Argo CD and Flux objects (structural: no CRD schemas available)', () => {
  const argo = (): KObject[] => filesUnder('examples/gitops/argocd', ['.yaml']).flatMap(loadYamlDocuments);
  const flux = (): KObject[] => filesUnder('examples/gitops/flux', ['.yaml']).flatMap(loadYamlDocuments);

  it('Argo CD Applications point at paths in this repo that render, with automated sync and server-side apply', () => {
    const apps = argo();
    expect(apps.map((a) => a.metadata.name).sort()).toEqual(['kserve-llmd', 'kserve-llmd-sample']);
    for (const a of apps) {
      expect(a).toMatchObject({
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: { namespace: 'argocd' },
      });
      expect(a.spec.source.repoURL).toMatch(/^https:\/\//);
      expect(existsSync(repo(a.spec.source.path, 'kustomization.yaml'))).toBe(true);
      expect(kustomizeBuild(repo(a.spec.source.path)).length).toBeGreaterThan(0);
      expect(a.spec.syncPolicy.syncOptions).toEqual(
        expect.arrayContaining(['ServerSideApply=true', 'RespectIgnoreDifferences=true']),
      );
      for (const d of a.spec.ignoreDifferences as KObject[]) {
        expect(typeof d.kind).toBe('string');
        for (const jq of d.jqPathExpressions as string[]) expect(jq).toMatch(/^\./);
      }
    }
    // The sample syncs after the install (the webhook must answer first).
    const wave = (name: string): number =>
      Number(apps.find((a) => a.metadata.name === name)!.metadata.annotations['argocd.argoproj.io/sync-wave']);
    expect(wave('kserve-llmd-sample')).toBeGreaterThan(wave('kserve-llmd'));
  });

  it('Argo CD ignores the caBundle cert-manager injects into our webhook configuration', () => {
    const install = argo().find((a) => a.metadata.name === 'kserve-llmd')!;
    const rendered = build(install.spec.source.path);
    const entry = (install.spec.ignoreDifferences as KObject[]).find((d) => d.kind === 'MutatingWebhookConfiguration')!;
    expect(
      one(rendered, 'MutatingWebhookConfiguration', entry.name).metadata.annotations['cert-manager.io/inject-ca-from'],
    ).toBeDefined();
    expect(entry.jqPathExpressions).toContain('.webhooks[]?.clientConfig.caBundle');
  });

  it('Flux: a GitRepository and Kustomizations whose paths render, the sample depending on the install', () => {
    const objs = flux();
    const source = objs.find((o) => o.kind === 'GitRepository')!;
    expect(source.apiVersion).toBe('source.toolkit.fluxcd.io/v1');
    const kustomizations = objs.filter((o) => o.kind === 'Kustomization');
    expect(kustomizations.map((k) => k.metadata.name).sort()).toEqual(['kserve-llmd', 'kserve-llmd-sample']);
    for (const k of kustomizations) {
      expect(k.apiVersion).toBe('kustomize.toolkit.fluxcd.io/v1');
      expect(k.spec.sourceRef).toEqual({ kind: 'GitRepository', name: source.metadata.name });
      expect(k.spec.prune).toBe(true);
      const dir = repo(k.spec.path.replace(/^\.\//, ''));
      expect(kustomizeBuild(dir).length).toBeGreaterThan(0);
      // The GitRepository's ignore rules must keep every directory the build reads.
      const kept = (source.spec.ignore as string)
        .split('\n')
        .filter((l) => l.startsWith('!/'))
        .map((l) => l.slice(2).replace(/\/$/, ''));
      expect([k.spec.path, kept.some((p) => k.spec.path.replace(/^\.\//, '').startsWith(p))]).toEqual([
        k.spec.path,
        true,
      ]);
    }
    expect(kustomizations.find((k) => k.metadata.name === 'kserve-llmd-sample')!.spec.dependsOn).toEqual([
      { name: 'kserve-llmd' },
    ]);
  });
});

describe('Dockerfile', () => {
  const text = readFileSync(repo('Dockerfile'), 'utf8');
  const froms = [...text.matchAll(/^FROM (\S+)(?: AS (\S+))?/gm)].map((m) => ({ image: m[1]!, stage: m[2] }));

  it('multi-stage, every stage on a pinned node 24 slim image', () => {
    expect(froms.length).toBeGreaterThanOrEqual(3);
    const version = /^ARG NODE_VERSION=(\S+)$/m.exec(text)?.[1];
    expect(version).toMatch(/^24\.\d+\.\d+$/);
    for (const f of froms) expect(f.image).toBe('node:${NODE_VERSION}-slim');
  });

  it(
    'the runtime stage has production dependencies only, ' +
      'compiled JS, a numeric non-root user and the compiled CLI ' +
      'as entry point',
    () => {
      const runtime = text.slice(text.lastIndexOf('\nFROM '));
      expect(text).toMatch(/npm ci --omit=dev/);
      expect(runtime).toMatch(/COPY --from=deps \/app\/node_modules/);
      expect(runtime).toMatch(/COPY --from=build \/src\/dist/);
      expect(runtime).not.toMatch(/COPY \. \./);
      const user = /^USER (\d+):(\d+)$/m.exec(runtime);
      expect(Number(user?.[1])).toBeGreaterThan(0);
      expect(JSON.parse(/^ENTRYPOINT (.+)$/m.exec(runtime)![1]!)).toEqual(['node', 'dist/src/cli/entry.js']);
      // tsc (tsconfig.build.json: rootDir ".", outDir dist) emits src/cli/entry.ts there.
      const tsconfig = JSON.parse(readFileSync(repo('tsconfig.build.json'), 'utf8')) as { include: string[] };
      expect(tsconfig.include).toContain('src');
      expect(existsSync(repo('src', 'cli', 'entry.ts'))).toBe(true);
      // The manifests run the image as that user.
      for (const name of ['kserve-llmd-webhook', 'kserve-llmd-controller', 'kserve-llmd-autoscaler']) {
        expect(
          one(build('manifests/overlays/default'), 'Deployment', name).spec.template.spec.securityContext.runAsUser,
        ).toBe(Number(user?.[1]));
      }
    },
  );

  it('render finds the serving runtimes in the image where it looks for them (dist/serving-runtimes)', () => {
    const runtime = text.slice(text.lastIndexOf('\nFROM '));
    expect(runtime).toMatch(/^COPY serving-runtimes \.\/dist\/serving-runtimes$/m);
    const ignored = readFileSync(repo('.dockerignore'), 'utf8').split('\n');
    expect(ignored.filter((l) => l.startsWith('serving-runtimes'))).toEqual([]);
  });

  it('.dockerignore keeps node_modules, dist and .git out of the build context', () => {
    const ignored = readFileSync(repo('.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim());
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', 'dist', '.git']));
  });
});
