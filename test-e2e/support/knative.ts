/**
 * KServe's step in the end-to-end suite: KServe's controller is not part of the control plane, so the suite
 * renders the Knative Service KServe v0.20.0 would create (test/support/kserve-ksvc.ts, mapping in docs/e2e.md)
 * from the InferenceService as stored (after our webhook) and its ClusterServingRuntime as installed, and
 * applies it. From there on everything is the real Knative controller and kube-controller-manager.
 */
import { renderKnativeService } from '../../test/support/kserve-ksvc.js';
import { eventually, type Kube, type Obj } from './kube.js';

const ISVC = 'serving.kserve.io/v1beta1';

/** Renders and creates the predictor's Knative Service of each named InferenceService; returns them. */
export async function applyKserveStep(kube: Kube, ns: string, isvcNames: string[]): Promise<Obj[]> {
  const out: Obj[] = [];
  for (const name of isvcNames) {
    const isvc = await eventually(`InferenceService ${name}`, () => kube.get(ISVC, 'InferenceService', ns, name));
    const runtimeName = isvc.spec.predictor.model.runtime as string;
    const runtime = await kube.get(
      ISVC.replace('v1beta1', 'v1alpha1'),
      'ClusterServingRuntime',
      undefined,
      runtimeName,
    );
    if (!runtime) throw new Error(`ClusterServingRuntime ${runtimeName} is not installed`);
    out.push(await kube.apply(renderKnativeService(isvc, runtime) as Obj, 'kserve-controller-e2e'));
  }
  return out;
}

export interface RevisionObjects {
  revision: Obj;
  deployment: Obj;
  pa: Obj;
}

/** The first Revision of a Knative Service, and the Deployment and PodAutoscaler Knative made for it. */
export async function knativeObjects(
  kube: Kube,
  ns: string,
  ksvc: string,
  timeoutMs = 60_000,
): Promise<RevisionObjects> {
  const name = `${ksvc}-00001`;
  const revision = await eventually(
    `Revision ${name}`,
    () => kube.get('serving.knative.dev/v1', 'Revision', ns, name),
    timeoutMs,
  );
  const deployment = await eventually(
    `Deployment ${name}-deployment`,
    () => kube.get('apps/v1', 'Deployment', ns, `${name}-deployment`),
    timeoutMs,
  );
  const pa = await eventually(
    `PodAutoscaler ${name}`,
    () => kube.get('autoscaling.internal.knative.dev/v1alpha1', 'PodAutoscaler', ns, name),
    timeoutMs,
  );
  return { revision, deployment, pa };
}

/** Pods of a revision (the label Knative puts on them). */
export function revisionPods(kube: Kube, ns: string, revision: string): Promise<Obj[]> {
  return kube.list('v1', 'Pod', ns, `serving.knative.dev/revision=${revision}`);
}

export function condition(o: Obj | undefined, type: string): Record<string, any> | undefined {
  return (o?.status?.conditions ?? []).find((c: any) => c.type === type);
}
