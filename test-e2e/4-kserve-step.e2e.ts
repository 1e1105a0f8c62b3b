/**
 * Scenario 4, KServe's step rendered: the Knative Services KServe v0.20.0 would create for a P/D service and its
 * prefill sibling are applied; the real Knative controller creates Revision, Deployment and PodAutoscaler (our
 * class); the real ReplicaSet controller creates the pods, and the real API server calls our pod webhook on
 * them (pods have no name yet at admission: generateName). Decode and prefill pods must carry what the README
 * ("What pods get") and docs/port-layout.md document, and be a fixed point of the pod mutation.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import path from 'node:path';
import { loadWebhookConfigFile } from '../src/config.js';
import { AUTOSCALER_CLASS } from '../core/names.js';
import { mutatePod } from '../webhooks/pod/mutate.js';
import { describeE2E, REPO_ROOT } from './support/env.js';
import { exampleIsvcs } from './support/install.js';
import { applyKserveStep, knativeObjects, revisionPods } from './support/knative.js';
import { eventually, type Obj } from './support/kube.js';
import type { Component } from './support/process.js';
import { startController, startStack, type Stack } from './support/stack.js';

const config = loadWebhookConfigFile(path.join(REPO_ROOT, 'manifests', 'base', 'config', 'webhook.yaml'));
const SIDECAR_IMAGE = 'ghcr.io/llm-d/llm-d-router-disagg-sidecar:v0.9.0';

const vllm = (pod: Obj): Obj => pod.spec.containers.find((c: Obj) => c.name === 'kserve-container');
const env = (c: Obj, name: string): Obj | undefined => (c.env ?? []).find((e: Obj) => e.name === name);

/** What both P/D roles get (README "What pods get", first row). */
function expectNixl(pod: Obj): void {
  const c = vllm(pod);
  const args: string[] = c.args;
  const i = args.indexOf('--kv-transfer-config');
  const config = i >= 0 ? args[i + 1] : args.find((a) => a.startsWith('--kv-transfer-config='))?.split('=', 2)[1];
  expect(JSON.parse(config ?? '{}')).toMatchObject({ kv_connector: 'NixlConnector', kv_role: 'kv_both' });
  expect(env(c, 'VLLM_NIXL_SIDE_CHANNEL_HOST')?.valueFrom).toEqual({
    fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' },
  });
  expect(env(c, 'VLLM_NIXL_SIDE_CHANNEL_PORT')?.value).toBe('5600');
  expect(c.ports).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'nixl', containerPort: 5600 })]));
  expect(pod.metadata.annotations['kserve-llmd.io/injected']).toBeDefined();
}

describeE2E('4 KServe step, rendered; pods through the real API server', () => {
  let s: Stack;
  let ns: string;
  let controller: Component;

  beforeAll(async () => {
    s = await startStack();
    ns = await s.namespace('kserve-step');
    controller = await startController(s.kube, ns);
  });
  afterAll(async () => {
    await controller?.stop();
    await s?.close();
  });

  it('Knative creates Revision, Deployment and a PodAutoscaler of our class; our webhook wires each role', async () => {
    const isvc = structuredClone(exampleIsvcs().find((e) => e.file === 'examples/nvidia-pd-scale-to-zero.yaml')!.isvc);
    isvc.metadata.namespace = ns;
    await s.kube.apply(isvc, 'e2e-gitops');
    const [decodeKsvc, prefillKsvc] = await applyKserveStep(s.kube, ns, ['qwen-32b', 'qwen-32b-prefill']);
    expect([decodeKsvc!.metadata.name, prefillKsvc!.metadata.name]).toEqual([
      'qwen-32b-predictor',
      'qwen-32b-prefill-predictor',
    ]);

    for (const [ksvc, role] of [
      ['qwen-32b-predictor', 'decode'],
      ['qwen-32b-prefill-predictor', 'prefill'],
    ] as const) {
      const { revision, deployment, pa } = await knativeObjects(s.kube, ns, ksvc);
      // Knative hands the PodAutoscaler to our class; its labels and the service's annotations reach it.
      expect(pa.metadata.annotations['autoscaling.knative.dev/class']).toBe(AUTOSCALER_CLASS);
      expect(pa.metadata.labels).toMatchObject({ 'llm-d.ai/role': role, 'kserve-llmd.io/pool': 'qwen-32b' });
      expect(pa.metadata.annotations['kserve-llmd.io/disaggregation']).toBe('prefill-decode');
      expect(deployment.spec.template.metadata.labels['serving.knative.dev/revision']).toBe(revision.metadata.name);

      // The ReplicaSet controller creates the first pod (Knative's initial scale 1); the API server ran our
      // pod webhook on it.
      const [pod] = await eventually(`a ${role} pod`, async () => {
        const pods = await revisionPods(s.kube, ns, revision.metadata.name!);
        return pods.length > 0 ? pods : undefined;
      });
      expectNixl(pod!);
      const sidecars = (pod!.spec.initContainers ?? []).filter((c: Obj) => c.image === SIDECAR_IMAGE);
      const queue = pod!.spec.containers.find((c: Obj) => c.name === 'queue-proxy');
      // queue-proxy forwards to 8000 on both roles (docs/port-layout.md).
      expect(env(queue, 'USER_PORT')?.value).toBe('8000');
      if (role === 'decode') {
        expect(sidecars).toHaveLength(1);
        expect(sidecars[0].restartPolicy).toBe('Always');
        expect(sidecars[0].ports).toEqual(expect.arrayContaining([expect.objectContaining({ containerPort: 8000 })]));
        expect(vllm(pod!).args).toContain('--port=8200');
        expect(pod!.metadata.annotations['kserve-llmd.io/vllm-port']).toBe('8200');
      } else {
        expect(sidecars).toHaveLength(0);
        expect(vllm(pod!).args).toContain('--port=8000');
        expect(pod!.metadata.annotations['kserve-llmd.io/vllm-port']).toBe('8000');
      }
      // Re-running the webhook on the stored pod changes nothing (README: "Re-running it changes nothing").
      const again = mutatePod(pod, config.injection);
      expect(again.kind === 'mutated' ? again.object : pod).toEqual(pod);
    }
  });
});
