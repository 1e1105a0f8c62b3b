/**
 * The ServerlessService a custom PodAutoscaler class owns (kserve-knative.md §4): name = PA name, controlled by
 * the PA (so it is garbage-collected with it), `objectRef` = the scale target, mode Serve or Proxy.
 * Knative's SKS reconciler builds the public/private Services from it and reports `serviceName`,
 * `privateServiceName` and the conditions Ready / ActivatorEndpointsPopulated. Pure builders.
 */
import type { KubeObject } from '../../src/kube.js';
import { conditionsOf, podAutoscalerView, serverlessServiceView, type Condition } from '../views.js';

export type SksMode = 'Serve' | 'Proxy';

export const SKS_API_VERSION = 'networking.internal.knative.dev/v1alpha1';

export function desiredSks(pa: KubeObject, deployment: string, mode: SksMode): KubeObject {
  const m = pa.metadata ?? {};
  return {
    apiVersion: SKS_API_VERSION,
    kind: 'ServerlessService',
    metadata: {
      name: m.name,
      namespace: m.namespace,
      // Knative copies the PA's labels (revision, service, …) so the SKS is found the same way.
      labels: { ...(m.labels ?? {}) },
      ownerReferences: [
        {
          apiVersion: pa.apiVersion ?? 'autoscaling.internal.knative.dev/v1alpha1',
          kind: 'PodAutoscaler',
          name: m.name ?? '',
          uid: m.uid ?? '',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      mode,
      objectRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment },
      protocolType: podAutoscalerView(pa).protocolType ?? 'http1',
      // 0 = every activator: at zero, any activator replica may hold the request (Knative's default subsetting is off).
      numActivators: 0,
    },
  };
}

export type { Condition } from '../views.js';

export function condition(obj: KubeObject | undefined, type: string): Condition | undefined {
  return conditionsOf(obj).find((c) => c.type === type);
}

export function sksMode(sks: KubeObject | undefined): SksMode | undefined {
  return serverlessServiceView(sks).mode;
}

/**
 * Knative scales to zero only once the activator is in the path: SKS in Proxy, its activator endpoints
 * populated, and the grace period passed since it went to Proxy (kpa/scaler.go handleScaleToZero).
 */
export function activatorInPath(
  sks: KubeObject | undefined,
  proxySinceMs: number | undefined,
  nowMs: number,
  graceMs: number,
): boolean {
  if (sksMode(sks) !== 'Proxy' || proxySinceMs === undefined) return false;
  if (condition(sks, 'ActivatorEndpointsPopulated')?.status !== 'True') return false;
  return nowMs - proxySinceMs >= graceMs;
}
