/**
 * RBAC: the table in core/rbac.ts, the generated manifests, and the helpers other components' tests use to
 * check every API call they make against it.
 */
import { readFileSync } from 'node:fs';
import { INSTALL_NAMESPACE, LEASE_NAMES } from '../../core/names.js';
import {
  allows,
  RBAC,
  requestAttributes,
  ruleAllows,
  SERVICE_ACCOUNTS,
  type Component,
  type RbacRule,
  type Verb,
} from '../../core/rbac.js';
import { RBAC_YAML_PATH, rbacYaml } from '../../scripts/gen-rbac.js';
import type { KObject } from '../support/kustomize.js';
import { build, filesUnder, find, one } from './helpers.js';

const install = (): KObject[] => build('manifests/overlays/default');
const COMPONENTS = Object.keys(RBAC) as Component[];
const triples = (rules: readonly RbacRule[]): Array<{ apiGroup: string; resource: string; verb: Verb }> =>
  rules.flatMap((r) =>
    r.apiGroups.flatMap((apiGroup) =>
      r.resources.flatMap((resource) => r.verbs.map((verb) => ({ apiGroup, resource, verb: verb as Verb }))),
    ),
  );

describe('RBAC table (core/rbac.ts)', () => {
  it.each(COMPONENTS)('%s: every rule says which code path needs it, and nothing is a wildcard', (component) => {
    for (const r of RBAC[component]) {
      expect(r.why.trim().length).toBeGreaterThan(10);
      for (const v of [...r.apiGroups, ...r.resources, ...r.verbs, ...(r.resourceNames ?? [])])
        expect(v).not.toContain('*');
      expect(r.verbs).not.toEqual(expect.arrayContaining(['escalate']));
      expect(r.verbs).not.toEqual(expect.arrayContaining(['bind']));
      expect(r.verbs).not.toEqual(expect.arrayContaining(['impersonate']));
    }
  });

  it('the webhook needs no rules: its only API call is GET /version (public), from webhooks/commands.ts', () => {
    expect(RBAC.webhook).toEqual([]);
    for (const file of filesUnder('webhooks', ['.ts'])) {
      const text = readFileSync(file, 'utf8');
      const talks = /@kubernetes\/client-node|src\/kube\.js|from 'undici'/.test(text);
      expect([file, talks]).toEqual([file, file.endsWith('webhooks/commands.ts')]);
      if (talks) expect(text.match(/client\.(get|list|create|replace|patch|delete|watch)\(/g)).toBeNull();
    }
  });

  it('escalation prevention: the controller holds every permission it grants the endpoint picker', () => {
    for (const t of triples(RBAC.epp)) {
      const req = { ...t, namespace: 'models' };
      expect([t, allows(RBAC.controller, req, INSTALL_NAMESPACE) !== undefined]).toEqual([t, true]);
    }
  });

  it('leader election: each component may read, create and renew its own Lease in kserve-llmd, and no other', () => {
    for (const component of ['controller', 'autoscaler'] as const) {
      const lease = (method: string, name?: string, ns = INSTALL_NAMESPACE) =>
        requestAttributes(method, `/apis/coordination.k8s.io/v1/namespaces/${ns}/leases${name ? `/${name}` : ''}`);
      const own = LEASE_NAMES[component];
      expect(allows(RBAC[component], lease('GET', own), INSTALL_NAMESPACE)).toBeDefined();
      expect(allows(RBAC[component], lease('PUT', own), INSTALL_NAMESPACE)).toBeDefined();
      expect(allows(RBAC[component], lease('POST'), INSTALL_NAMESPACE)).toBeDefined();
      expect(allows(RBAC[component], lease('PUT', 'kube-scheduler'), INSTALL_NAMESPACE)).toBeUndefined();
      expect(allows(RBAC[component], lease('GET', own, 'models'), INSTALL_NAMESPACE)).toBeUndefined();
      expect(allows(RBAC[component], lease('DELETE', own), INSTALL_NAMESPACE)).toBeUndefined();
    }
  });
});

describe('requestAttributes / allows: the authorizer’s view of a REST call', () => {
  it.each([
    [
      'GET',
      '/api/v1/namespaces/models/pods?labelSelector=a%3Db',
      { apiGroup: '', resource: 'pods', verb: 'list', namespace: 'models' },
    ],
    ['GET', '/api/v1/pods?watch=true&resourceVersion=5', { apiGroup: '', resource: 'pods', verb: 'watch' }],
    [
      'GET',
      '/apis/apps/v1/watch/namespaces/m/deployments',
      { apiGroup: 'apps', resource: 'deployments', verb: 'watch', namespace: 'm' },
    ],
    [
      'PATCH',
      '/apis/apps/v1/namespaces/m/deployments/d/scale',
      { apiGroup: 'apps', resource: 'deployments/scale', verb: 'patch', namespace: 'm', name: 'd' },
    ],
    [
      'PUT',
      '/apis/autoscaling.internal.knative.dev/v1alpha1/namespaces/m/podautoscalers/p/status',
      {
        apiGroup: 'autoscaling.internal.knative.dev',
        resource: 'podautoscalers/status',
        verb: 'update',
        namespace: 'm',
        name: 'p',
      },
    ],
    [
      'POST',
      '/apis/serving.kserve.io/v1beta1/namespaces/m/inferenceservices',
      { apiGroup: 'serving.kserve.io', resource: 'inferenceservices', verb: 'create', namespace: 'm' },
    ],
    [
      'DELETE',
      '/apis/inference.networking.k8s.io/v1/namespaces/m/inferencepools/x',
      {
        apiGroup: 'inference.networking.k8s.io',
        resource: 'inferencepools',
        verb: 'delete',
        namespace: 'm',
        name: 'x',
      },
    ],
    [
      'DELETE',
      '/api/v1/namespaces/m/configmaps',
      { apiGroup: '', resource: 'configmaps', verb: 'deletecollection', namespace: 'm' },
    ],
    ['GET', '/api/v1/namespaces/m', { apiGroup: '', resource: 'namespaces', verb: 'get', name: 'm' }],
  ])('%s %s', (method, url, expected) => {
    expect(requestAttributes(method, url)).toEqual(expected);
  });

  it('rejects what is not a resource call', () => {
    expect(() => requestAttributes('GET', '/healthz')).toThrow(/not a resource path/);
    expect(() => requestAttributes('TRACE', '/api/v1/pods')).toThrow(/unknown method/);
  });

  it('a subresource needs its own rule; resourceNames never allow create', () => {
    const autoscaler = RBAC.autoscaler;
    expect(
      allows(
        autoscaler,
        requestAttributes('PATCH', '/apis/apps/v1/namespaces/m/deployments/d/scale'),
        INSTALL_NAMESPACE,
      ),
    ).toBeDefined();
    expect(
      allows(autoscaler, requestAttributes('PATCH', '/apis/apps/v1/namespaces/m/deployments/d'), INSTALL_NAMESPACE),
    ).toBeUndefined();
    const named: RbacRule = {
      apiGroups: [''],
      resources: ['configmaps'],
      verbs: ['create', 'get'],
      resourceNames: ['x'],
      why: 'test rule',
    };
    expect(ruleAllows(named, requestAttributes('POST', '/api/v1/namespaces/m/configmaps'), INSTALL_NAMESPACE)).toBe(
      false,
    );
    expect(ruleAllows(named, requestAttributes('GET', '/api/v1/namespaces/m/configmaps/x'), INSTALL_NAMESPACE)).toBe(
      true,
    );
    expect(ruleAllows(named, requestAttributes('GET', '/api/v1/namespaces/m/configmaps'), INSTALL_NAMESPACE)).toBe(
      false,
    );
  });
});

describe('RBAC manifests (generated from the table)', () => {
  it('manifests/base/rbac/rbac.yaml is up to date (run `npm run gen:rbac` after changing core/rbac.ts)', () => {
    expect(readFileSync(RBAC_YAML_PATH, 'utf8')).toBe(rbacYaml());
  });

  it('no wildcard in any rendered Role or ClusterRole', () => {
    for (const role of [...find(install(), 'Role'), ...find(install(), 'ClusterRole')]) {
      for (const rule of role.rules as KObject[]) {
        for (const v of [
          ...(rule.apiGroups ?? []),
          ...(rule.resources ?? []),
          ...rule.verbs,
          ...(rule.nonResourceURLs ?? []),
        ])
          expect([role.metadata.name, v]).not.toEqual([role.metadata.name, '*']);
      }
    }
  });

  it.each(['controller', 'autoscaler'] as const)(
    '%s: its ServiceAccount is granted exactly the table’s ' +
      'rules, cluster rules cluster-wide and Lease rules in ' +
      'kserve-llmd',
    (component) => {
      const sa = SERVICE_ACCOUNTS[component];
      const subjectIs = (b: KObject): boolean =>
        (b.subjects as KObject[]).some(
          (s) => s.kind === 'ServiceAccount' && s.name === sa && s.namespace === INSTALL_NAMESPACE,
        );
      const granted = (kind: 'ClusterRoleBinding' | 'RoleBinding', roleKind: string): KObject[] =>
        find(install(), kind)
          .filter(subjectIs)
          .flatMap(
            (b) => one(install(), b.roleRef.kind === roleKind ? roleKind : '-', b.roleRef.name).rules as KObject[],
          );
      const strip = (rules: readonly RbacRule[]) =>
        rules.map(({ apiGroups, resources, verbs, resourceNames }) => ({
          apiGroups,
          resources,
          verbs,
          ...(resourceNames ? { resourceNames } : {}),
        }));
      expect(granted('ClusterRoleBinding', 'ClusterRole')).toEqual(
        strip(RBAC[component].filter((r) => (r.scope ?? 'cluster') === 'cluster')),
      );
      expect(granted('RoleBinding', 'Role')).toEqual(
        strip(RBAC[component].filter((r) => r.scope === 'install-namespace')),
      );
      for (const b of find(install(), 'RoleBinding').filter(subjectIs))
        expect(b.metadata.namespace).toBe(INSTALL_NAMESPACE);
    },
  );

  it('the webhook’s ServiceAccount is bound to nothing', () => {
    const bound = [...find(install(), 'ClusterRoleBinding'), ...find(install(), 'RoleBinding')].filter((b) =>
      (b.subjects as KObject[]).some((s) => s.name === SERVICE_ACCOUNTS.webhook),
    );
    expect(bound).toEqual([]);
  });
});
