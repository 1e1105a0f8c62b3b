/**
 * The controller's RBAC (core/rbac.ts) is exact for its code: run the end-to-end scenario (with leader
 * election) on the fake API server and check every recorded call against the controller's rules, and every
 * rule against the calls.
 */
import { RESOURCES, createKubeClient } from '../../src/kube.js';
import { LeaderElector } from '../../src/leader.js';
import { INSTALL_NAMESPACE, LEASE_NAMES } from '../../core/names.js';
import { allows, RBAC, type RequestAttributes, type Verb } from '../../core/rbac.js';
import { example } from '../support/fixtures.js';
import type { CallRecord } from '../support/fake-apiserver/index.js';
import { eventually } from '../support/eventually.js';
import { startHarness } from './harness.js';

const toRequest = (c: CallRecord): RequestAttributes => ({
  apiGroup: c.group,
  resource: c.subresource ? `${c.resource}/${c.subresource}` : c.resource,
  verb: c.verb as Verb,
  ...(c.namespace ? { namespace: c.namespace } : {}),
  ...(c.name ? { name: c.name } : {}),
});

describe('controller RBAC', () => {
  it('every API call of the scenario is allowed by RBAC.controller, and every rule is used or justified', async () => {
    const h = await startHarness();
    const client = createKubeClient(h.api.kubeConfig());
    const elector = new LeaderElector({
      client,
      namespace: INSTALL_NAMESPACE,
      name: LEASE_NAMES.controller,
      identity: 'test',
      leaseDurationMs: 600,
      renewDeadlineMs: 400,
      retryPeriodMs: 50,
      onStartedLeading: () => undefined,
      onStoppedLeading: () => undefined,
    });
    elector.run();
    const status = (name: string) =>
      JSON.parse(
        h.api.object('serving.kserve.io/v1beta1', 'InferenceService', 'models', name)?.metadata.annotations?.[
          'kserve-llmd.io/status'
        ] ?? '{}',
      );
    // Every logged call is the controller's or its elector's: the test writes through seed()/direct(), unlogged.
    try {
      h.api.seed({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'llama-8b-epp', namespace: 'models' },
        data: {},
      });
      h.api.seed(example('nvidia-basic') as any);
      h.api.seed(example('nvidia-pd-scale-to-zero') as any);
      await eventually(
        'qwen-32b Ready and llama-8b in Conflict',
        () => status('qwen-32b').state === 'Ready' && status('llama-8b').state === 'Conflict',
      );
      h.api
        .direct()
        .patch(
          h.api.target('serving.kserve.io/v1beta1', 'InferenceService', 'models', 'qwen-32b'),
          'application/merge-patch+json',
          {
            metadata: {
              annotations: {
                'kserve-llmd.io/routing': 'load-aware',
                'kserve-llmd.io/disaggregation': null,
                'kserve-llmd.io/prefill-replicas': null,
              },
            },
          },
        );
      await eventually(
        'the prefill sibling deleted',
        () => h.api.object('serving.kserve.io/v1beta1', 'InferenceService', 'models', 'qwen-32b-prefill') === undefined,
      );
      h.api
        .direct()
        .patch(
          h.api.target('serving.kserve.io/v1beta1', 'InferenceService', 'models', 'qwen-32b'),
          'application/merge-patch+json',
          { metadata: { annotations: { 'kserve-llmd.io/disaggregation': 'prefill-decode' } } },
        );
      await eventually(
        'the prefill sibling recreated',
        () => h.api.object('serving.kserve.io/v1beta1', 'InferenceService', 'models', 'qwen-32b-prefill') !== undefined,
      );
      h.api
        .direct()
        .patch(
          h.api.target('serving.kserve.io/v1beta1', 'InferenceService', 'models', 'qwen-32b'),
          'application/json-patch+json',
          [{ op: 'add', path: '/spec/predictor/model/args/-', value: '--enable-chunked-prefill' }],
        );
      await eventually('the sibling with --enable-chunked-prefill', () =>
        h.api
          .object('serving.kserve.io/v1beta1', 'InferenceService', 'models', 'qwen-32b-prefill')!
          .spec.predictor.model.args.includes('--enable-chunked-prefill'),
      );
      await h.settle();
      await eventually('the elector to lead', () => elector.isLeader());
    } finally {
      await elector.stop();
      await client.close();
      await h.close();
    }
    const calls = h.api.calls.filter((c) => !c.nonResourceURL);
    const denied = calls.map(toRequest).filter((r) => !allows(RBAC.controller, r, INSTALL_NAMESPACE));
    expect(denied).toEqual([]);

    // Each (group, resource, verb) a rule grants is used, or the rule says why the controller holds it unused.
    const used = new Set(
      calls.map((c) => `${c.group}|${c.subresource ? `${c.resource}/${c.subresource}` : c.resource}|${c.verb}`),
    );
    const unused = RBAC.controller.flatMap((rule) =>
      rule.apiGroups.flatMap((g) =>
        rule.resources.flatMap((r) =>
          rule.verbs
            .filter((v) => !used.has(`${g}|${r}|${v}`))
            .map((v) => ({ triple: `${g}/${r}:${v}`, why: rule.why })),
        ),
      ),
    );
    const justified = (u: { triple: string; why: string }): boolean =>
      /escalation/.test(u.why) || new RegExp(`\\b${u.triple.split(':')[1]}\\b`).test(u.why);
    expect(unused.filter((u) => !justified(u))).toEqual([]);
    expect(used.has('|events|create')).toBe(true);
    expect(used.has('serving.kserve.io|inferenceservices|patch')).toBe(true);
    expect(used.has('coordination.k8s.io|leases|update')).toBe(true);
    expect(RESOURCES.leases.plural).toBe('leases');
  });
});
