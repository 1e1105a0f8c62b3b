/**
 * Scenario 3, the routing controller against the real API server, as its own ServiceAccount: every object it
 * creates carries a controller ownerReference to the InferenceService and is garbage-collected by the real
 * kube-controller-manager when the service is deleted; the prefill sibling passes our webhook through the API
 * server unchanged; a foreign object in the way is reported (status annotation, Warning Event), not overwritten.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import path from 'node:path';
import { loadWebhookConfigFile } from '../src/config.js';
import { mutateInferenceService } from '../core/isvc/mutate.js';
import { describeE2E, REPO_ROOT } from './support/env.js';
import { exampleIsvcs } from './support/install.js';
import { eventually, type Obj } from './support/kube.js';
import type { Component } from './support/process.js';
import { startController, startStack, type Stack } from './support/stack.js';

const ISVC = 'serving.kserve.io/v1beta1';
const config = loadWebhookConfigFile(path.join(REPO_ROOT, 'manifests', 'base', 'config', 'webhook.yaml'));
const example = (file: string): Obj => structuredClone(exampleIsvcs().find((e) => e.file === file)!.isvc);

/** What docs/controller.md lists per service (P/D with a gateway: all of them). */
const owned = (name: string): Array<[string, string, string]> => [
  ['v1', 'ServiceAccount', `${name}-epp`],
  ['rbac.authorization.k8s.io/v1', 'Role', `${name}-epp`],
  ['rbac.authorization.k8s.io/v1', 'RoleBinding', `${name}-epp`],
  ['v1', 'ConfigMap', `${name}-epp`],
  ['apps/v1', 'Deployment', `${name}-epp`],
  ['v1', 'Service', `${name}-epp`],
  ['inference.networking.k8s.io/v1', 'InferencePool', name],
  ['gateway.networking.k8s.io/v1', 'HTTPRoute', name],
  [ISVC, 'InferenceService', `${name}-prefill`],
];

describeE2E('3 controller', () => {
  let s: Stack;
  let ns: string;
  let controller: Component;
  const status = async (name: string): Promise<any> => {
    const text = (await s.kube.get(ISVC, 'InferenceService', ns, name))?.metadata.annotations?.[
      'kserve-llmd.io/status'
    ];
    return text ? JSON.parse(text) : undefined;
  };
  const events = async (reason: string): Promise<Obj[]> =>
    (await s.kube.list('v1', 'Event', ns)).filter((e) => e.reason === reason);

  beforeAll(async () => {
    s = await startStack();
    ns = await s.namespace('controller');
    controller = await startController(s.kube, ns);
  });
  afterAll(async () => {
    await controller?.stop();
    await s?.close();
  });

  it('every object, owned by the service; the sibling admitted unchanged; deletion → real GC', async () => {
    const isvc = example('examples/nvidia-pd-scale-to-zero.yaml');
    isvc.metadata.namespace = ns;
    const live = await s.kube.apply(isvc, 'e2e-gitops');
    await eventually('status Ready', async () => (await status('qwen-32b'))?.state === 'Ready', 60_000);
    for (const [apiVersion, kind, name] of owned('qwen-32b')) {
      const o = await s.kube.get(apiVersion, kind, ns, name);
      expect([kind, o?.metadata.ownerReferences]).toEqual([
        kind,
        [
          expect.objectContaining({
            apiVersion: ISVC,
            kind: 'InferenceService',
            uid: live.metadata.uid,
            controller: true,
          }),
        ],
      ]);
    }
    // The sibling went through the real API server and our webhook: it is a fixed point of the mutation.
    const sibling = (await s.kube.get(ISVC, 'InferenceService', ns, 'qwen-32b-prefill'))!;
    const again = mutateInferenceService(sibling, config);
    expect(again.kind === 'mutated' ? again.object : sibling).toEqual(sibling);
    expect(sibling.spec.predictor.labels['llm-d.ai/role']).toBe('prefill');
    expect((await events('RoutingReady')).map((e) => [e.type, e.involvedObject.name])).toEqual([
      ['Normal', 'qwen-32b'],
    ]);

    // Deleting the service: the kube-controller-manager's garbage collector removes every owned object.
    await s.kube.delete({ apiVersion: ISVC, kind: 'InferenceService', namespace: ns, name: 'qwen-32b' });
    await eventually(
      'owned objects garbage-collected',
      async () => {
        const left: string[] = [];
        for (const [apiVersion, kind, name] of owned('qwen-32b'))
          if (await s.kube.get(apiVersion, kind, ns, name)) left.push(`${kind}/${name}`);
        if (left.length > 0) throw new Error(`still there: ${left.join(', ')}`);
        return true;
      },
      90_000,
      500,
    );
  });

  it('a foreign object in the way is reported (annotation, Warning Event) and left untouched', async () => {
    await s.kube.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'llama-8b-epp', namespace: ns },
      data: { mine: 'yes' },
    });
    const isvc = example('examples/nvidia-basic.yaml');
    isvc.metadata.namespace = ns;
    await s.kube.apply(isvc, 'e2e-gitops');
    const st = await eventually(
      'status Conflict',
      async () => {
        const v = await status('llama-8b');
        return v?.state === 'Conflict' ? v : undefined;
      },
      60_000,
    );
    expect(st.problems.join()).toMatch(/ConfigMap\/llama-8b-epp: an existing ConfigMap "llama-8b-epp" is not created/);
    const cm = await s.kube.get('v1', 'ConfigMap', ns, 'llama-8b-epp');
    expect([cm?.data, cm?.metadata.ownerReferences]).toEqual([{ mine: 'yes' }, undefined]);
    await eventually('a RoutingConflict Warning', async () =>
      (await events('RoutingConflict')).some((e) => e.type === 'Warning'),
    );
  });
});
