/**
 * PodAutoscaler status per the custom-class contract (kserve-knative.md §4; Knative pa_lifecycle.go):
 * Ready = Active ∧ ScaleTargetInitialized ∧ SKSReady; `serviceName`/`metricsServiceName` from the SKS so the
 * Revision becomes Ready; desiredScale/actualScale copied to the Revision. Inactive (scaled to zero) keeps
 * ScaleTargetInitialized and SKSReady true: the Revision stays Ready and Knative routes through the activator.
 * Pure: returns the status to write.
 */
import type { KubeObject } from '../../src/kube.js';
import { condition, type Condition } from './sks.js';

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

type Status = Condition['status'];

export function paStatus(i: PaStatusInput): Record<string, unknown> {
  const prev = (i.pa.status ?? {}) as { conditions?: Condition[] };
  const sksStatus = (i.sks?.status ?? {}) as { serviceName?: string; privateServiceName?: string };
  const at = (type: string, status: Status, reason?: string, message?: string): Condition => {
    const old = prev.conditions?.find((c) => c.type === type);
    const c: Condition = {
      type,
      status,
      lastTransitionTime: old?.status === status && old.lastTransitionTime ? old.lastTransitionTime : i.nowIso,
    };
    if (reason) c.reason = reason;
    if (message) c.message = message;
    return c;
  };
  let active: Condition;
  if (i.desired === 0)
    active = at(
      'Active',
      'False',
      'NoTraffic',
      i.specReplicas > 0
        ? 'The target is not receiving traffic; scaling to zero once the activator is in the path.'
        : 'The target is not receiving traffic.',
    );
  else if (i.ready > 0) active = at('Active', 'True');
  else
    active = at(
      'Active',
      'Unknown',
      'Queued',
      'Requests to the target are being buffered as resources are provisioned.',
    );
  // Sticky once reached (Knative: ScaleTargetInitialized is set the first time replicas ≥ max(min-scale,
  // initial-scale)).
  const wasInit = condition(i.pa, 'ScaleTargetInitialized')?.status === 'True';
  const init =
    wasInit || i.ready >= Math.max(1, i.minScale)
      ? at('ScaleTargetInitialized', 'True')
      : at('ScaleTargetInitialized', 'Unknown', 'Queued', 'Waiting for the first replicas to become ready.');
  const sksReady = condition(i.sks, 'Ready');
  const sks = !i.sks
    ? at('SKSReady', 'Unknown', 'NoSKS', 'The ServerlessService is being created.')
    : at('SKSReady', sksReady?.status ?? 'Unknown', sksReady?.reason, sksReady?.message);
  const parts = [active, init, sks];
  const readyStatus: Status = parts.every((c) => c.status === 'True')
    ? 'True'
    : parts.some((c) => c.status === 'False')
      ? 'False'
      : 'Unknown';
  const firstNotTrue = parts.find((c) => c.status !== 'True');
  const ready = at('Ready', readyStatus, firstNotTrue?.reason, firstNotTrue?.message);
  return {
    observedGeneration: i.pa.metadata?.generation ?? 0,
    conditions: [active, ready, init, sks],
    serviceName: sksStatus.serviceName ?? '',
    metricsServiceName: sksStatus.privateServiceName ?? '',
    desiredScale: i.desired,
    actualScale: i.ready,
  };
}

/** Equal ignoring lastTransitionTime (so an unchanged status is never rewritten). */
export function sameStatus(a: unknown, b: unknown): boolean {
  const strip = (s: unknown): string =>
    JSON.stringify(s, (k, v: unknown) => (k === 'lastTransitionTime' ? undefined : v));
  return strip(a) === strip(b);
}
