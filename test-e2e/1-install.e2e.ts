/**
 * Scenario 1, install: the CRD prerequisites and manifests/overlays/default applied to a real API server, the
 * webhook registered by clientConfig.url to a local `kserve-llmd webhook` process with a test CA.
 * What only a real API server judges: every object's schema (built-in validation and the CRDs' structural
 * schemas), Pod Security `restricted` on our own pods (the ReplicaSet controller creates them), and our RBAC
 * (the real authorizer answers SubjectAccessReviews for every rule core/rbac.ts says a component needs).
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { INSTALL_NAMESPACE, WEBHOOK_CONFIGURATION_NAME } from '../core/names.js';
import { RBAC, SERVICE_ACCOUNTS } from '../core/rbac.js';
import { describeE2E } from './support/env.js';
import { PREREQUISITE_CRDS, prerequisiteCrds, probeIsvc } from './support/install.js';
import { eventually, KubeError } from './support/kube.js';
import { startStack, type Stack } from './support/stack.js';

/** Every (group, resource, verb) core/rbac.ts grants the controller and the autoscaler. */
function grants() {
  return (['controller', 'autoscaler'] as const).flatMap((component) =>
    RBAC[component].flatMap((rule) =>
      rule.apiGroups.flatMap((group) =>
        rule.resources.flatMap((full) =>
          rule.verbs.map((verb) => {
            const [resource, subresource] = full.split('/');
            return { component, rule, group, resource, subresource, verb };
          }),
        ),
      ),
    ),
  );
}

describeE2E('1 install', () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack();
  });
  afterAll(async () => s?.close());

  it('serves every prerequisite CRD and accepted every object of the install', async () => {
    expect(prerequisiteCrds()).toHaveLength(PREREQUISITE_CRDS.length);
    for (const crd of prerequisiteCrds()) {
      const live = await s.kube.get(crd.apiVersion, crd.kind, undefined, crd.metadata.name!);
      expect([crd.metadata.name, live?.status?.acceptedNames?.kind]).toEqual([crd.metadata.name, crd.spec.names.kind]);
    }
    const missing: string[] = [];
    for (const o of s.installed) {
      const live = await s.kube.get(o.apiVersion, o.kind, o.metadata.namespace, o.metadata.name!);
      if (!live) missing.push(`${o.kind} ${o.metadata.name}`);
    }
    expect(missing).toEqual([]);
    const runtimes = s.installed.filter((o) => o.kind === 'ClusterServingRuntime').map((o) => o.metadata.name);
    expect(runtimes.sort()).toEqual(
      ['amd', 'cpu', 'gaudi', 'intel-xpu', 'nvidia', 'tpu'].map((a) => `kserve-llmd-vllm-${a}`),
    );
  });

  it('our own pods pass Pod Security "restricted": every Deployment gets its replicas created', async () => {
    const ns = await s.kube.get('v1', 'Namespace', undefined, INSTALL_NAMESPACE);
    expect(ns?.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
    for (const name of ['kserve-llmd-webhook', 'kserve-llmd-controller', 'kserve-llmd-autoscaler']) {
      // Pods are created (admitted) but never run: there is no kubelet. A PodSecurity denial would show as
      // a ReplicaFailure condition on the ReplicaSet and no pods.
      const pods = await eventually(`${name} pods created`, async () => {
        const rs = (await s.kube.list('apps/v1', 'ReplicaSet', INSTALL_NAMESPACE)).filter((r) =>
          r.metadata.ownerReferences?.some((o: any) => o.name === name),
        );
        const failure = rs.flatMap((r) => r.status?.conditions ?? []).find((c: any) => c.type === 'ReplicaFailure');
        if (failure) throw new Error(`${name}: ${failure.message}`);
        return rs.length > 0 && rs.every((r) => r.status?.replicas === r.spec.replicas) ? rs : undefined;
      });
      expect(pods.length).toBeGreaterThan(0);
    }
  });

  it('the webhook configuration points at the local webhook (test CA); the API server calls it', async () => {
    const mwc = await s.kube.get(
      'admissionregistration.k8s.io/v1',
      'MutatingWebhookConfiguration',
      undefined,
      WEBHOOK_CONFIGURATION_NAME,
    );
    expect(mwc!.webhooks.map((w: any) => [w.name, w.clientConfig.url, w.failurePolicy])).toEqual([
      ['inferenceservice.kserve-llmd.io', `${s.endpoint.baseUrl}/mutate-inferenceservice`, 'Fail'],
      ['pod.kserve-llmd.io', `${s.endpoint.baseUrl}/mutate-pod`, 'Ignore'],
    ]);
    // The denial comes from our webhook through the API server (dry run: nothing stored).
    const err = await s.kube.create(probeIsvc('default'), { dryRun: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeError);
    expect((err as KubeError).status).toBe(422);
    expect((err as KubeError).message).toContain('admission webhook "inferenceservice.kserve-llmd.io" denied');
  });

  it('the real authorizer grants each component exactly what core/rbac.ts lists, and the webhook nothing', async () => {
    const review = async (sa: string, attrs: Record<string, string | undefined>): Promise<boolean> => {
      const res = await s.kube.create({
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        metadata: {},
        spec: { user: `system:serviceaccount:${INSTALL_NAMESPACE}:${sa}`, resourceAttributes: attrs },
      });
      return res.status?.allowed === true;
    };
    const denied: string[] = [];
    for (const { component, rule, group, resource, subresource, verb } of grants()) {
      const attrs = {
        group,
        resource,
        subresource,
        verb,
        namespace: rule.scope === 'install-namespace' ? INSTALL_NAMESPACE : 'e2e-any-namespace',
        name: rule.resourceNames?.[0],
      };
      if (!(await review(SERVICE_ACCOUNTS[component], attrs)))
        denied.push(`${component} ${verb} ${group}/${resource}${subresource ? `/${subresource}` : ''}`);
    }
    expect(denied).toEqual([]);
    // Least privilege: no secrets for anyone, no leases outside the install namespace, nothing for the webhook.
    expect(
      await review('kserve-llmd-controller', { group: '', resource: 'secrets', verb: 'get', namespace: 'x' }),
    ).toBe(false);
    expect(
      await review('kserve-llmd-autoscaler', {
        group: 'coordination.k8s.io',
        resource: 'leases',
        verb: 'update',
        namespace: 'default',
        name: 'kserve-llmd-autoscaler',
      }),
    ).toBe(false);
    expect(await review('kserve-llmd-webhook', { group: '', resource: 'pods', verb: 'list', namespace: 'x' })).toBe(
      false,
    );
  });
});
