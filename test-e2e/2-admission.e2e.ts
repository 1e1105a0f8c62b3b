/**
 * Scenario 2, admission through the real API server: every InferenceService in examples/ is admitted and
 * mutated as the README documents ("What the InferenceService webhook adds"), an invalid one is denied with the
 * documented message (HTTP 422, every problem named), a server-side re-apply of the same manifest (Argo CD's
 * ServerSideApply) changes nothing, and a service that became invalid (it predates the webhook) can still have
 * its metadata edited and its finalizers removed, so it can be deleted.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { loadWebhookConfigFile } from '../src/config.js';
import { ACCELERATOR_VENDOR, type Accelerator } from '../core/names.js';
import { denialMessage, mutateInferenceService } from '../core/isvc/mutate.js';
import { describeE2E, REPO_ROOT } from './support/env.js';
import { exampleIsvcs, webhookActive, webhookConfiguration } from './support/install.js';
import { eventually, KubeError, type Obj } from './support/kube.js';
import { startStack, type Stack } from './support/stack.js';
import path from 'node:path';

const ISVC = 'serving.kserve.io/v1beta1';
const config = loadWebhookConfigFile(path.join(REPO_ROOT, 'manifests', 'base', 'config', 'webhook.yaml'));
const examples = exampleIsvcs();
const valid = examples.filter(({ isvc }) => mutateInferenceService(isvc, config).kind === 'mutated');
const invalid = examples.filter(({ isvc }) => mutateInferenceService(isvc, config).kind === 'denied');

/** The fields the README's table says the webhook writes (and the user's own annotations). */
function documented(o: Obj): unknown {
  const p = o.spec.predictor;
  return {
    annotations: o.metadata.annotations,
    predictorLabels: p.labels,
    predictorAnnotations: p.annotations,
    replicas: [p.minReplicas, p.maxReplicas],
    runtime: p.model?.runtime,
    timeout: p.timeout,
    args: p.model?.args,
  };
}

describeE2E('2 admission', () => {
  let s: Stack;
  let ns: string;
  beforeAll(async () => {
    s = await startStack();
    ns = await s.namespace('admission');
  });
  afterAll(async () => s?.close());

  it('covers the examples: several valid services and the invalid one', () => {
    expect(valid.length).toBeGreaterThanOrEqual(5);
    expect(invalid.map((e) => e.file)).toEqual(['examples/invalid-annotations.yaml']);
  });

  it.each(valid.map((e) => [e.file, e.isvc] as const))(
    '%s: admitted and mutated as documented; a server-side re-apply changes nothing',
    async (_file, example) => {
      const isvc = structuredClone(example);
      isvc.metadata.namespace = ns;
      const live = await s.kube.apply(isvc, 'e2e-gitops');
      const expected = mutateInferenceService(isvc, config);
      if (expected.kind !== 'mutated') throw new Error('expected a mutation');
      expect(documented(live)).toEqual(documented(expected.object as Obj));

      // The README's table, independently of the implementation.
      const p = live.spec.predictor;
      const role = p.labels['llm-d.ai/role'];
      const accelerator = p.labels['kserve-llmd.io/accelerator'] as Accelerator;
      expect(p.labels).toMatchObject({
        'llm-d.ai/inference-serving': 'true',
        'llm-d.ai/model': live.metadata.name,
        'llm-d.ai/engine-type': 'vllm',
        'llm-d.ai/accelerator-vendor': ACCELERATOR_VENDOR[accelerator],
        'kserve-llmd.io/pool': live.metadata.name,
      });
      const pd = live.metadata.annotations['kserve-llmd.io/disaggregation'] === 'prefill-decode';
      expect(role).toBe(pd ? 'decode' : 'prefill-decode');
      expect(p.annotations['autoscaling.knative.dev/class']).toBe('autoscaler.kserve-llmd.io');
      expect(p.model.runtime).toBe(`kserve-llmd-vllm-${accelerator}`);
      expect(p.timeout).toBe(600);
      const range = (live.metadata.annotations['kserve-llmd.io/decode-replicas'] ?? '1-4').split('-').map(Number);
      expect([p.minReplicas, p.maxReplicas]).toEqual(range);
      expect(JSON.parse(live.metadata.annotations['kserve-llmd.io/defaulted'])).toMatchObject({
        spec: { predictor: expect.any(Object) },
      });

      // Idempotent: the stored object is a fixed point, and re-applying the manifest writes nothing.
      const again = mutateInferenceService(live, config);
      expect(again.kind === 'mutated' ? again.object : live).toEqual(live);
      const reapplied = await s.kube.apply(isvc, 'e2e-gitops');
      expect(reapplied.metadata.resourceVersion).toBe(live.metadata.resourceVersion);
      expect(reapplied.metadata.generation).toBe(live.metadata.generation);
      const name = live.metadata.name!;
      await s.kube.delete({ apiVersion: ISVC, kind: 'InferenceService', namespace: ns, name });
      await eventually('deleted', async () => !(await s.kube.get(ISVC, 'InferenceService', ns, name)));
    },
  );

  it('examples/invalid-annotations.yaml is denied: HTTP 422, every problem named in one message', async () => {
    const isvc = structuredClone(invalid[0]!.isvc);
    isvc.metadata.namespace = ns;
    const outcome = mutateInferenceService(isvc, config);
    if (outcome.kind !== 'denied') throw new Error('expected a denial');
    const err = (await s.kube.create(isvc).catch((e: unknown) => e)) as KubeError;
    expect(err).toBeInstanceOf(KubeError);
    expect(err.status).toBe(422);
    expect(err.message).toContain(
      `admission webhook "inferenceservice.kserve-llmd.io" denied the request: ${denialMessage(outcome.errors)}`,
    );
    for (const text of ['kserve-llmd.io/routing', 'prefix-aware', 'kserve-llmd.io/replicas', 'decode-replicas'])
      expect(err.message).toContain(text);
    expect(await s.kube.get(ISVC, 'InferenceService', ns, isvc.metadata.name!)).toBeUndefined();
  });

  it('a service that became invalid (predating the webhook): metadata edits, finalizer removal allowed', async () => {
    const mwc = webhookConfiguration(s.endpoint);
    const legacy: Obj = {
      apiVersion: ISVC,
      kind: 'InferenceService',
      metadata: {
        name: 'legacy',
        namespace: ns,
        finalizers: ['e2e.kserve-llmd.io/hold'],
        annotations: { 'kserve-llmd.io/decode-replicas': '5-2' },
      },
      spec: { predictor: { model: { modelFormat: { name: 'vLLM' }, storageUri: 'hf://e2e/legacy' } } },
    };
    // Stored while no webhook was registered, as before an install (or before an upgrade made it invalid).
    await s.kube.delete({ apiVersion: mwc.apiVersion, kind: mwc.kind, name: mwc.metadata.name! });
    await eventually('the API server no longer calling the webhook', async () => !(await webhookActive(s.kube, ns)));
    await s.kube.create(legacy);
    await s.kube.apply(mwc, 'kserve-llmd-e2e-install');
    await eventually('the API server calling the webhook again', () => webhookActive(s.kube, ns));

    const at = { apiVersion: ISVC, kind: 'InferenceService', namespace: ns, name: 'legacy' };
    // Metadata edits are not the user's chance to fix anything; they must not be blocked.
    const labelled = await s.kube.patch(at, { metadata: { labels: { team: 'e2e' } } });
    expect(labelled.metadata.labels.team).toBe('e2e');
    // Deletion: the finalizer holds the object; removing it (what a finalizer's owner does) must be allowed.
    await s.kube.delete(at);
    const terminating = await s.kube.get(ISVC, 'InferenceService', ns, 'legacy');
    expect(terminating?.metadata.deletionTimestamp).toBeDefined();
    await s.kube.patch(at, { metadata: { finalizers: null } });
    await eventually(
      'legacy gone',
      async () => (await s.kube.get(ISVC, 'InferenceService', ns, 'legacy')) === undefined,
    );
  });
});
