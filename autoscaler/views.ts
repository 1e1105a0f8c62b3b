/**
 * Typed views of the objects the autoscaler reads: a PodAutoscaler, its ServerlessService and a predictor
 * Deployment arrive from the informers as untyped KubeObjects; each is read once here, at the edge, into the
 * few fields the autoscaler uses, with the defaults the API applies (knative.dev/serving knative-v1.23.0
 * pkg/apis/autoscaling/v1alpha1/pa_types.go, pkg/apis/networking/v1alpha1/serverlessservice_types.go), so the
 * decision code reads plain fields instead of `?.`/`??` chains.
 */
import type { KubeObject } from '../src/kube.js';
import { isRecord } from '../src/types/kube.js';

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: string;
  status: ConditionStatus;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

/** Metadata every view carries. */
export interface ObjectView {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** metadata.deletionTimestamp is set. */
  deleting: boolean;
  generation: number;
}

export interface PodAutoscalerView extends ObjectView {
  /** spec.scaleTargetRef; kind defaults to Deployment; undefined without a name. */
  scaleTarget: { kind: string; name: string } | undefined;
  /** spec.reachability is not Unreachable (Knative ignores min-scale for an unreachable revision). */
  reachable: boolean;
  protocolType: string | undefined;
  conditions: Condition[];
}

export interface ServerlessServiceView {
  mode: 'Serve' | 'Proxy' | undefined;
  /** status.serviceName / status.privateServiceName, '' until the SKS reconciler reports them. */
  serviceName: string;
  privateServiceName: string;
  conditions: Condition[];
}

export interface DeploymentView extends ObjectView {
  /** spec.selector.matchLabels; undefined when absent or empty. */
  matchLabels: Record<string, string> | undefined;
}

const record = (v: unknown): Record<string, unknown> => (isRecord(v) ? v : {});
const strings = (v: unknown): Record<string, string> => (isRecord(v) ? (v as Record<string, string>) : {});
const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function objectView(o: KubeObject): ObjectView {
  const m = record(o.metadata);
  return {
    namespace: text(m.namespace) ?? '',
    name: text(m.name) ?? '',
    labels: strings(m.labels),
    annotations: strings(m.annotations),
    deleting: Boolean(m.deletionTimestamp),
    generation: typeof m.generation === 'number' ? m.generation : 0,
  };
}

export function conditionsOf(o: KubeObject | undefined): Condition[] {
  const c = record(o?.status).conditions;
  return Array.isArray(c) ? (c as Condition[]) : [];
}

export function podAutoscalerView(pa: KubeObject): PodAutoscalerView {
  const spec = record(pa.spec);
  const ref = record(spec.scaleTargetRef);
  const name = text(ref.name);
  return {
    ...objectView(pa),
    scaleTarget: name ? { kind: text(ref.kind) ?? 'Deployment', name } : undefined,
    reachable: spec.reachability !== 'Unreachable',
    protocolType: text(spec.protocolType),
    conditions: conditionsOf(pa),
  };
}

export function serverlessServiceView(sks: KubeObject | undefined): ServerlessServiceView {
  const mode = record(sks?.spec).mode;
  const status = record(sks?.status);
  return {
    mode: mode === 'Serve' || mode === 'Proxy' ? mode : undefined,
    serviceName: text(status.serviceName) ?? '',
    privateServiceName: text(status.privateServiceName) ?? '',
    conditions: conditionsOf(sks),
  };
}

export function deploymentView(d: KubeObject): DeploymentView {
  const matchLabels = strings(record(record(d.spec).selector).matchLabels);
  return { ...objectView(d), matchLabels: Object.keys(matchLabels).length > 0 ? matchLabels : undefined };
}
