/**
 * Scenario 6, a cluster without native sidecars: Kubernetes 1.28 with the SidecarContainers feature gate off
 * drops `restartPolicy: Always` from init containers (and then rejects the probes only a sidecar may have).
 * The same decode pod Knative creates (the Deployment template of scenario 4's decode revision, taken from the
 * main control plane) is sent to a second API server started without the gate
 * (KSERVE_LLMD_E2E_KUBECONFIG_NO_SIDECARS). It must be admitted with a layout that works there, or the
 * InferenceService must be denied with a clear message; never a rejected pod, never a routing sidecar turned
 * into a classic init container that never completes (the pod would never start).
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { WEBHOOK_CONFIGURATION_NAME } from '../core/names.js';
import { describeE2E, kubeconfigPath, NO_SIDECARS_KUBECONFIG_ENV } from './support/env.js';
import {
  exampleIsvcs,
  installCrds,
  installManifests,
  removeWebhookConfiguration,
  webhookActive,
  webhookConfiguration,
} from './support/install.js';
import { applyKserveStep, knativeObjects } from './support/knative.js';
import { eventually, Kube, KubeError, type Obj } from './support/kube.js';
import type { Component } from './support/process.js';
import {
  createNamespace,
  deleteNamespace,
  serviceAccountKubeconfig,
  startStack,
  startWebhook,
  type Stack,
} from './support/stack.js';

const SIDECAR_IMAGE = 'ghcr.io/llm-d/llm-d-router-disagg-sidecar:v0.9.0';
const noSidecars = kubeconfigPath(NO_SIDECARS_KUBECONFIG_ENV);
if (!noSidecars && kubeconfigPath())
  process.stdout.write(
    `scenario 6 skipped: set ${NO_SIDECARS_KUBECONFIG_ENV} to an API server without the SidecarContainers gate\n`,
  );
const itNoSidecars = noSidecars ? it : it.skip;

describeE2E('6 a cluster without native sidecars', () => {
  let s: Stack;
  let other: Kube;
  let otherWebhook: Component | undefined;
  let otherNs: string | undefined;
  let template: Obj;

  beforeAll(async () => {
    if (!noSidecars) return;
    // The decode pod as Knative's Deployment would create it, from the main control plane.
    s = await startStack();
    const ns = await s.namespace('no-sidecars');
    const isvc = structuredClone(exampleIsvcs().find((e) => e.file === 'examples/nvidia-pd-scale-to-zero.yaml')!.isvc);
    isvc.metadata.namespace = ns;
    await s.kube.apply(isvc, 'e2e-gitops');
    await applyKserveStep(s.kube, ns, ['qwen-32b']);
    template = (await knativeObjects(s.kube, ns, 'qwen-32b-predictor')).deployment.spec.template;

    // The second cluster gets the whole install; its webhook decides the sidecar layout itself
    // (nativeSidecars: auto, the default), reading /version with the install's webhook ServiceAccount.
    other = Kube.fromFile(noSidecars);
    await installCrds(other);
    const placeholder = { baseUrl: 'https://127.0.0.1:1', caPem: '' };
    await installManifests(other, placeholder);
    await removeWebhookConfiguration(other);
    const kubeconfig = await serviceAccountKubeconfig(other, 'kserve-llmd-webhook');
    const started = await startWebhook({ nativeSidecars: 'auto', kubeconfig });
    otherWebhook = started.webhook;
    await other.apply(webhookConfiguration(started.endpoint), 'kserve-llmd-e2e-install');
    await eventually('the second API server calling the webhook', () => webhookActive(other), 30_000, 250);
    otherNs = await createNamespace(other, 'no-sidecars');
  });

  afterAll(async () => {
    if (!noSidecars) return;
    if (other) {
      await other
        .delete({
          apiVersion: 'admissionregistration.k8s.io/v1',
          kind: 'MutatingWebhookConfiguration',
          name: WEBHOOK_CONFIGURATION_NAME,
        })
        .catch(() => undefined);
      if (otherNs) await deleteNamespace(other, otherNs).catch(() => undefined);
      await other.close();
    }
    await otherWebhook?.stop();
    await s?.close();
  });

  itNoSidecars(
    'the second API server lacks the gate (drops restartPolicy: Always); ' +
      'the webhook, asking its version, chose a regular container',
    async () => {
      const pod: Obj = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'gate-probe', namespace: otherNs },
        spec: {
          initContainers: [{ name: 'side', image: 'example.com/e2e/side:1', restartPolicy: 'Always' }],
          containers: [{ name: 'main', image: 'example.com/e2e/main:1' }],
        },
      };
      const created = await other.create(pod, { dryRun: true });
      expect(created.spec.initContainers[0].restartPolicy).toBeUndefined();
      // The webhook asked this API server its version (GET /version with the webhook ServiceAccount's token) and
      // chose the regular-container layout (docs/install.md "Native sidecars", nativeSidecars: auto).
      const layout = otherWebhook!.records().find((r) => r.msg === 'routing sidecar layout');
      expect(layout).toMatchObject({ native: false });
      expect(String(layout?.reason)).toContain('v1.28');
    },
  );

  itNoSidecars(
    'the decode pod is admitted working, or the InferenceService is denied with a clear message',
    async () => {
      const isvc = structuredClone(
        exampleIsvcs().find((e) => e.file === 'examples/nvidia-pd-scale-to-zero.yaml')!.isvc,
      );
      isvc.metadata.namespace = otherNs;
      const admitted = await other.apply(isvc, 'e2e-gitops').catch((e: unknown) => e);
      if (admitted instanceof KubeError) {
        // Denied up front: the message must say why (no native sidecars) and what to do.
        expect(admitted.status).toBe(422);
        expect(admitted.message).toMatch(/sidecar/i);
        return;
      }
      const pod: Obj = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { ...template.metadata, generateName: 'qwen-32b-predictor-00001-deployment-', namespace: otherNs },
        spec: template.spec,
      };
      const created = await other.create(pod).catch((e: unknown) => e);
      if (created instanceof KubeError) throw new Error(`the decode pod was rejected: ${created.message}`);
      const p = created as Obj;
      const blocking = (p.spec.initContainers ?? []).filter(
        (c: Obj) => c.image === SIDECAR_IMAGE && c.restartPolicy !== 'Always',
      );
      expect(blocking).toEqual([]);
      const sidecar = [...(p.spec.initContainers ?? []), ...p.spec.containers].find(
        (c: Obj) => c.image === SIDECAR_IMAGE,
      );
      const vllm = p.spec.containers.find((c: Obj) => c.name === 'kserve-container');
      // Either layout must keep docs/port-layout.md's promise: the serving port 8000 answers on every pod.
      const vllmPort = Number(p.metadata.annotations?.['kserve-llmd.io/vllm-port']);
      if (sidecar) expect(vllmPort).toBe(8200);
      else expect(vllm.args).toContain(`--port=${vllmPort}`);
      expect(p.metadata.annotations?.['kserve-llmd.io/injected']).toBeDefined();
    },
  );
});
