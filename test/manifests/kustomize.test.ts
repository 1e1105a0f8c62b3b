/**
 * The test renderer itself: what it renders for the features we use, and that every feature it does not
 * model is an error rather than a silently different result.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { kustomizeBuild, splitImage } from '../support/kustomize.js';

let root: string;
beforeEach(() => {
  // One level down, so that `../x` (a file outside the kustomization root) is still inside the test's folder.
  root = path.join(mkdtempSync(path.join(tmpdir(), 'kustomize-')), 'root');
  mkdirSync(root);
});
afterEach(() => rmSync(path.dirname(root), { recursive: true, force: true }));

function write(rel: string, text: string): void {
  const file = path.join(root, rel);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
}

const deployment = (name: string, image: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  template:
    spec:
      containers: [{name: app, image: ${image}}]
      initContainers: [{name: init, image: ${image}}]
`;
const runtime = `apiVersion: serving.kserve.io/v1alpha1
kind: ClusterServingRuntime
metadata: {name: rt, labels: {a: b}}
spec:
  containers: [{name: kserve-container, image: vllm, args: [x]}]
`;

describe('kustomize test renderer', () => {
  it('accumulates files and directories, then patches, suffixes and pins images in kustomize order', () => {
    write('base/kustomization.yaml', 'resources: [rt.yaml]\n');
    write('base/rt.yaml', runtime);
    write(
      'acc/kustomization.yaml',
      `resources: [../base]
nameSuffix: -nvidia
images: [{name: vllm, newName: docker.io/vllm/vllm-openai, newTag: v1.2.3}]
patches:
  - target: {kind: ClusterServingRuntime, name: rt}
    patch: |-
      - op: add
        path: /spec/containers/0/args/-
        value: y
`,
    );
    const [rt] = kustomizeBuild(path.join(root, 'acc'));
    expect(rt!.metadata.name).toBe('rt-nvidia');
    expect(rt!.spec.containers[0].args).toEqual(['x', 'y']);
    expect(rt!.spec.containers[0].image).toBe('docker.io/vllm/vllm-openai:v1.2.3');
  });

  it('sets the namespace on namespaced kinds only, and images on containers and init containers, by digest too', () => {
    write(
      'kustomization.yaml',
      `namespace: ns
resources: [d.yaml, cr.yaml]
images: [{name: registry:5000/app, digest: "sha256:${'a'.repeat(64)}"}]
`,
    );
    write('d.yaml', deployment('d', 'registry:5000/app:old'));
    write('cr.yaml', 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r}\nrules: []\n');
    const [d, cr] = kustomizeBuild(root);
    expect(d!.metadata.namespace).toBe('ns');
    expect(cr!.metadata.namespace).toBeUndefined();
    const images = [...d!.spec.template.spec.containers, ...d!.spec.template.spec.initContainers].map(
      (c: { image: string }) => c.image,
    );
    expect(images).toEqual([
      `registry:5000/app@sha256:${'a'.repeat(64)}`,
      `registry:5000/app@sha256:${'a'.repeat(64)}`,
    ]);
  });

  it('applies components to the parent set and generates ConfigMaps from files', () => {
    write(
      'kustomization.yaml',
      `resources: [d.yaml]
components: [comp]
configMapGenerator:
  - name: cfg
    files: [a.yaml=conf/a.yaml]
    options: {disableNameSuffixHash: true}
`,
    );
    write('d.yaml', deployment('d', 'app:1'));
    write('conf/a.yaml', 'x: 1\n');
    write(
      'comp/kustomization.yaml',
      `apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component
patches:
  - target: {kind: Deployment}
    patch: '[{"op": "add", "path": "/spec/replicas", "value": 3}]'
`,
    );
    const out = kustomizeBuild(root);
    expect(out.find((o) => o.kind === 'Deployment')!.spec.replicas).toBe(3);
    expect(out.find((o) => o.kind === 'ConfigMap')).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cfg' },
      data: { 'a.yaml': 'x: 1\n' },
    });
  });

  it.each([
    [
      'a strategic-merge patch',
      'resources: [d.yaml]\npatches: [{target: {kind: Deployment}, patch: "spec: {replicas: 2}"}]\n',
      /only JSON 6902/,
    ],
    [
      'a patch target that matches nothing',
      'resources: [d.yaml]\npatches: [{target: {kind: Service}, patch: "[]"}]\n',
      /matches no resource/,
    ],
    [
      'a failing JSON patch test op',
      'resources: [d.yaml]\npatches: [{target: {kind: ' +
        'Deployment}, patch: \'[{"op": "test", "path": ' +
        '"/metadata/name", "value": "x"}]\'}]\n',
      /patch on .* failed/,
    ],
    ['a file outside the kustomization root', 'resources: [../outside.yaml]\n', /load restrictor/],
    ['the same resource twice', 'resources: [d.yaml, d.yaml]\n', /already registered id/],
    ['a hashed generator name', 'configMapGenerator: [{name: c, literals: [a=b]}]\n', /disableNameSuffixHash/],
    ['a name suffix on a referenced kind', 'resources: [d.yaml]\nnameSuffix: -x\n', /name-reference rewriting/],
    [
      'an unsupported field',
      'resources: [d.yaml]\nreplicas: [{name: d, count: 2}]\n',
      /not supported by the test renderer/,
    ],
    ['a remote resource', 'resources: ["https://github.com/x/y//config?ref=v1"]\n', /remote resource/],
  ])('rejects %s', (_what, kustomization, error) => {
    write('kustomization.yaml', kustomization);
    write('d.yaml', deployment('d', 'app:1'));
    expect(() => kustomizeBuild(root)).toThrow(error);
  });

  it('refuses a namespace change it would not model (role binding subjects)', () => {
    write('kustomization.yaml', 'namespace: ns\nresources: [rb.yaml]\n');
    write(
      'rb.yaml',
      `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: rb}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}
subjects: [{kind: ServiceAccount, name: sa, namespace: other}]
`,
    );
    expect(() => kustomizeBuild(root)).toThrow(/must name namespace ns explicitly/);
  });

  it.each([
    ['vllm/vllm-openai:v0.27.1', { name: 'vllm/vllm-openai', tag: 'v0.27.1' }],
    ['registry:5000/app', { name: 'registry:5000/app' }],
    [`app@sha256:${'b'.repeat(64)}`, { name: 'app', digest: `sha256:${'b'.repeat(64)}` }],
  ])('splits image %s', (image, parts) => {
    expect(splitImage(image)).toEqual(parts);
  });
});
