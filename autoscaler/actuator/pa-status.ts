/**
 * PodAutoscaler status per the custom-class contract (kserve-knative.md §4; Knative pa_lifecycle.go):
 * Ready = Active ∧ ScaleTargetInitialized ∧ SKSReady (PA_CONDITIONS); `serviceName`/`metricsServiceName` from
 * the SKS so the Revision becomes Ready; desiredScale/actualScale copied to the Revision. Inactive (scaled to
 * zero) keeps ScaleTargetInitialized and SKSReady true: the Revision stays Ready and Knative routes through the
 * activator. Pure: returns the status to write.
 */
import type { KubeObject } from '../../src/kube.js';
import { podAutoscalerView, serverlessServiceView, type Condition, type ServerlessServiceView } from '../views.js';
import { livingConditionSet, type ConditionMarker } from './conditions.js';

/**
 * Knative's podCondSet (pa_lifecycle.go at knative-v1.23.0): Ready follows Active, ScaleTargetInitialized and
 * SKSReady.
 */
export const PA_CONDITIONS = livingConditionSet(['Active', 'ScaleTargetInitialized', 'SKSReady']);

export interface PaStatusInput {
  pa: KubeObject;
  sks: KubeObject | undefined;
  desired: number;
  ready: number;
  /** Replicas on the scale target (what /scale says). */
  specReplicas: number;
  minScale: number;
  nowIso: string;
}

const NO_TRAFFIC = 'The target is not receiving traffic.';
const SCALING_TO_ZERO = 'The target is not receiving traffic; scaling to zero once the activator is in the path.';
const QUEUED = 'Requests to the target are being buffered as resources are provisioned.';

export function paStatus(i: PaStatusInput): Record<string, unknown> {
  const pa = podAutoscalerView(i.pa);
  const sks = i.sks ? serverlessServiceView(i.sks) : undefined;
  const conditions = PA_CONDITIONS.manage(pa.conditions, i.nowIso);
  const active = markActive(conditions, i);
  // Sticky once reached (Knative: ScaleTargetInitialized is set the first time replicas ≥
  // max(min-scale, initial-scale)).
  const wasInit = pa.conditions.some((c) => c.type === 'ScaleTargetInitialized' && c.status === 'True');
  const init =
    wasInit || i.ready >= Math.max(1, i.minScale)
      ? conditions.mark('ScaleTargetInitialized', 'True')
      : conditions.mark(
          'ScaleTargetInitialized',
          'Unknown',
          'Queued',
          'Waiting for the first replicas to become ready.',
        );
  const sksCondition = markSksReady(conditions, sks);
  return {
    observedGeneration: pa.generation,
    conditions: [active, conditions.happy(), init, sksCondition],
    serviceName: sks?.serviceName ?? '',
    metricsServiceName: sks?.privateServiceName ?? '',
    desiredScale: i.desired,
    actualScale: i.ready,
  };
}

/** Active: False at zero (no traffic), True with a ready replica, else Unknown while requests are buffered. */
function markActive(conditions: ConditionMarker, i: PaStatusInput): Condition {
  if (i.desired === 0)
    return conditions.mark('Active', 'False', 'NoTraffic', i.specReplicas > 0 ? SCALING_TO_ZERO : NO_TRAFFIC);
  if (i.ready > 0) return conditions.mark('Active', 'True');
  return conditions.mark('Active', 'Unknown', 'Queued', QUEUED);
}

/** SKSReady mirrors the ServerlessService's Ready (Unknown until it exists). */
function markSksReady(conditions: ConditionMarker, sks: ServerlessServiceView | undefined): Condition {
  if (!sks) return conditions.mark('SKSReady', 'Unknown', 'NoSKS', 'The ServerlessService is being created.');
  const ready = sks.conditions.find((c) => c.type === 'Ready');
  return conditions.mark('SKSReady', ready?.status ?? 'Unknown', ready?.reason, ready?.message);
}

/** Equal ignoring lastTransitionTime (so an unchanged status is never rewritten). */
export function sameStatus(a: unknown, b: unknown): boolean {
  const strip = (s: unknown): string =>
    JSON.stringify(s, (k, v: unknown) => (k === 'lastTransitionTime' ? undefined : v));
  return strip(a) === strip(b);
}
