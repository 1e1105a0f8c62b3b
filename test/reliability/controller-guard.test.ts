/**
 * Issue 14, item 8: RBAC cannot select by label, so the controller may create, update and delete Deployments,
 * Services, ServiceAccounts, Roles and RoleBindings anywhere. The optional ValidatingAdmissionPolicy
 * (manifests/components/controller-write-guard) confines those writes to objects it owns. Its CEL is evaluated
 * here (with a CEL interpreter, as the API server would) against every object the controller writes for the
 * examples, and against writes it must refuse.
 */
import { readFileSync } from 'node:fs';
import { parse } from '@marcbachmann/cel-js';
import yaml from 'js-yaml';
import { defaultControllerConfig } from '../../controller/config.js';
import { desiredObjects } from '../../controller/objects/index.js';
import { defaultWebhookConfig } from '../../src/config.js';
import { INSTALL_NAMESPACE } from '../../core/names.js';
import { SERVICE_ACCOUNTS } from '../../core/rbac.js';
import type { InferenceService } from '../../src/types/kube.js';
import { mutateInferenceService } from '../../core/isvc/mutate.js';
import { build } from '../manifests/helpers.js';
import { EXAMPLES, example } from '../support/fixtures.js';

type Obj = Record<string, any>;
type Operation = 'CREATE' | 'UPDATE' | 'DELETE';

const docs = yaml.loadAll(
  readFileSync(new URL('../../manifests/components/controller-write-guard/policy.yaml', import.meta.url), 'utf8'),
) as Obj[];
const policies = docs.filter((d) => d.kind === 'ValidatingAdmissionPolicy');
const bindings = docs.filter((d) => d.kind === 'ValidatingAdmissionPolicyBinding');
const CONTROLLER_USER = `system:serviceaccount:${INSTALL_NAMESPACE}:${SERVICE_ACCOUNTS.controller}`;

const GROUPS: Record<string, [string, string]> = {
  Deployment: ['apps', 'deployments'],
  Service: ['', 'services'],
  ConfigMap: ['', 'configmaps'],
  ServiceAccount: ['', 'serviceaccounts'],
  Role: ['rbac.authorization.k8s.io', 'roles'],
  RoleBinding: ['rbac.authorization.k8s.io', 'rolebindings'],
  InferencePool: ['inference.networking.k8s.io', 'inferencepools'],
  HTTPRoute: ['gateway.networking.k8s.io', 'httproutes'],
  InferenceService: ['serving.kserve.io', 'inferenceservices'],
};

/** What the API server does with the policies for one request: the first refusal's message, or undefined. */
function admit(op: Operation, kind: string, object: Obj | null, oldObject: Obj | null, user = CONTROLLER_USER) {
  const [group, resource] = GROUPS[kind]!;
  const request = { operation: op, userInfo: { username: user } };
  const vars = { request, object, oldObject };
  for (const p of policies) {
    const matches = (p.spec.matchConstraints.resourceRules as Obj[]).some(
      (r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.operations.includes(op),
    );
    if (!matches) continue;
    if (!(p.spec.matchConditions as Obj[]).every((c) => parse(c.expression)(vars) === true)) continue;
    for (const v of p.spec.validations as Obj[]) if (parse(v.expression)(vars) !== true) return String(v.message);
  }
  return undefined;
}

function controllerObjects(name: (typeof EXAMPLES)[number]): Obj[] {
  const outcome = mutateInferenceService(example(name), defaultWebhookConfig());
  if (outcome.kind !== 'mutated') return [];
  return desiredObjects(outcome.object, defaultControllerConfig()) as Obj[];
}

const foreign = (kind: string, labels: Record<string, string> = {}): Obj => ({
  kind,
  metadata: { name: 'theirs', namespace: 'models', labels },
  spec: { replicas: 1 },
});

describe('controller write guard (ValidatingAdmissionPolicy)', () => {
  it('is three policies, each bound with Deny, matching only the controller’s ServiceAccount', () => {
    expect(policies.map((p) => p.metadata.name)).toEqual([
      'kserve-llmd-controller-owned-objects',
      'kserve-llmd-controller-inferenceservices',
      'kserve-llmd-controller-epp-pods',
    ]);
    const component = yaml.load(
      readFileSync(
        new URL('../../manifests/components/controller-write-guard/kustomization.yaml', import.meta.url),
        'utf8',
      ),
    ) as Obj;
    expect([component.kind, component.resources]).toEqual(['Component', ['policy.yaml']]);
    // Shipped as an overlay too: the default install plus these policies, cluster-scoped.
    const guarded = build('manifests/overlays/guarded');
    const added = guarded.filter(
      (o) => o.apiVersion === 'admissionregistration.k8s.io/v1' && o.kind !== 'MutatingWebhookConfiguration',
    );
    expect(added.map((o) => o.metadata.name).sort()).toEqual(docs.map((d) => d.metadata.name).sort());
    for (const o of added) expect(o.metadata.namespace).toBeUndefined();
    for (const p of policies) {
      expect(p.apiVersion).toBe('admissionregistration.k8s.io/v1');
      const binding = bindings.find((b) => b.spec.policyName === p.metadata.name);
      expect(binding?.spec.validationActions).toEqual(['Deny']);
    }
    expect(admit('DELETE', 'Deployment', null, foreign('Deployment'), 'alice')).toBeUndefined();
  });

  it.each(EXAMPLES.filter((e) => e !== 'invalid-annotations'))(
    '%s: admits every object the controller creates, updates and deletes',
    (name) => {
      const objects = controllerObjects(name);
      expect(objects.length).toBeGreaterThan(0);
      for (const o of objects) {
        const changed = { ...o, metadata: { ...o.metadata, annotations: { ...o.metadata.annotations, h: 'new' } } };
        expect([o.kind, admit('CREATE', o.kind, o, null)]).toEqual([o.kind, undefined]);
        expect([o.kind, admit('UPDATE', o.kind, changed, o)]).toEqual([o.kind, undefined]);
        expect([o.kind, admit('DELETE', o.kind, null, o)]).toEqual([o.kind, undefined]);
      }
    },
  );

  it('admits the status annotation patch on an opted-in service', () => {
    const isvc = example('nvidia-basic') as InferenceService as Obj;
    const patched = { ...isvc, metadata: { ...isvc.metadata, annotations: { ...isvc.metadata.annotations } } };
    patched.metadata.annotations['kserve-llmd.io/status'] = '{"state":"Ready"}';
    expect(admit('UPDATE', 'InferenceService', patched, isvc)).toBeUndefined();
  });

  it('refuses writes to what the controller does not own', () => {
    const owned = { 'app.kubernetes.io/managed-by': 'kserve-llmd-controller' };
    for (const kind of ['Deployment', 'Service', 'ServiceAccount', 'Role', 'RoleBinding', 'ConfigMap']) {
      expect(admit('CREATE', kind, foreign(kind), null)).toMatch(/writes only objects labelled/);
      expect(admit('DELETE', kind, null, foreign(kind))).toMatch(/updates and deletes only objects it created/);
      // Taking an object over by labelling it is an update of an object it did not create.
      expect(admit('UPDATE', kind, foreign(kind, owned), foreign(kind))).toMatch(/only objects it created/);
    }
    const user = example('nvidia-basic') as Obj;
    expect(admit('CREATE', 'InferenceService', user, null)).toMatch(/only prefill siblings/);
    expect(admit('DELETE', 'InferenceService', null, user)).toMatch(/only prefill siblings/);
    const respec = { ...user, spec: { predictor: { model: { modelFormat: { name: 'vLLM' }, storageUri: 'x' } } } };
    expect(admit('UPDATE', 'InferenceService', respec, user)).toMatch(/only prefill siblings/);
    const plain = { ...user, metadata: { name: 'plain', namespace: 'models', annotations: { a: 'b' } } };
    const touched = { ...plain, metadata: { ...plain.metadata, annotations: { a: 'c' } } };
    expect(admit('UPDATE', 'InferenceService', touched, plain)).toMatch(/only prefill siblings/);
    const claimed = { ...user, metadata: { ...user.metadata, annotations: { 'kserve-llmd.io/prefill-for': 'x' } } };
    expect(admit('UPDATE', 'InferenceService', { ...claimed, spec: respec.spec }, user)).toMatch(/prefill siblings/);
  });

  it('refuses an owned Deployment that would run another ServiceAccount or reach the host', () => {
    const epp = controllerObjects('nvidia-basic').find((o) => o.kind === 'Deployment')!;
    const withPod = (edit: (spec: Obj) => void): Obj => {
      const d = JSON.parse(JSON.stringify(epp)) as Obj; // (structuredClone: another realm under Jest)
      edit(d.spec.template.spec);
      return d;
    };
    const cases: Array<[(spec: Obj) => void, RegExp]> = [
      [(s) => (s.serviceAccountName = 'cluster-admin-sa'), /endpoint picker ServiceAccount/],
      [(s) => (s.hostNetwork = true), /no host namespaces/],
      [(s) => (s.volumes = [{ name: 'root', hostPath: { path: '/' } }]), /host paths/],
      [(s) => (s.containers[0].securityContext = { privileged: true }), /privileged/],
    ];
    for (const [edit, message] of cases) {
      expect(admit('CREATE', 'Deployment', withPod(edit), null)).toMatch(message);
      expect(admit('UPDATE', 'Deployment', withPod(edit), epp)).toMatch(message);
    }
  });
});
