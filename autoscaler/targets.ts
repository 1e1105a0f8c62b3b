/**
 * What to scale: PodAutoscalers of our class (Knative mode) or opted-in predictor Deployments (Standard mode),
 * turned into a ScaleTarget with a full DeciderSpec. Pure: objects in, targets out.
 *
 * Annotation meaning is shared with the webhook (core/annotations/parse.ts): the PA carries the revision's
 * annotations, i.e. the InferenceService's `kserve-llmd.io/*` plus `autoscaling.knative.dev/min-scale|max-scale`
 * that KServe derives from minReplicas/maxReplicas (kserve-knative.md §1, §4). A PA with no kserve-llmd
 * annotations (a service using our runtime, which sets only the class) gets the defaults.
 */
import type { KubeObject } from '../src/kube.js';
import { AUTOSCALER_CLASS, KNATIVE_CLASS_ANNOTATION, LABELS } from '../core/names.js';
import { parseAnnotations } from '../core/annotations/parse.js';
import { defaultSettings } from '../core/annotations/settings.js';
import { deciderSpec } from './decider/defaults.js';
import { deploymentView, podAutoscalerView } from './views.js';
import type { DeciderRole, DeciderSpec } from './decider/types.js';

export interface ScaleTarget {
  /** namespace/name of the PA (Knative) or Deployment (Standard). */
  key: string;
  namespace: string;
  name: string;
  role: DeciderRole;
  /** namespace/pool: the decode and prefill of one service share it. */
  poolKey: string;
  pool: string;
  /** The Deployment whose /scale is patched. */
  deployment: string;
  /** Pods of this target: label key → value. */
  podSelector: Record<string, string>;
  spec: DeciderSpec;
  /** Annotation problems (reported; the defaults stand in for the bad values). */
  problems: string[];
  /** Knative only: the PA itself (for status and the SKS). */
  pa?: KubeObject;
}

const KN = 'autoscaling.knative.dev/';

export function isOurClass(obj: KubeObject): boolean {
  return obj.metadata?.annotations?.[KNATIVE_CLASS_ANNOTATION] === AUTOSCALER_CLASS;
}

/**
 * `llm-d.ai/role` → decider role: prefill, or decode for everything that decodes (decode, prefill-decode, both, unset).
 */
export function roleOf(labels: Record<string, string> | undefined): DeciderRole {
  return labels?.[LABELS.role] === 'prefill' ? 'prefill' : 'decode';
}

function intAnnotation(a: Record<string, string>, key: string, problems: string[]): number | undefined {
  const raw = a[key];
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw.trim())) {
    problems.push(`${key}: "${raw}" is not a non-negative integer; ignored`);
    return undefined;
  }
  return Number(raw);
}

interface SpecInput {
  annotations: Record<string, string>;
  labels: Record<string, string>;
  reachable: boolean;
  scaleToZeroEnabled: boolean;
}

export function specFor(
  input: SpecInput,
  opts: { maxReplicasCap: number; stableWindowMs: number },
): { spec: DeciderSpec; problems: string[] } {
  const role = roleOf(input.labels);
  const parsed = parseAnnotations(input.annotations);
  const problems = parsed.optedIn ? [...parsed.errors] : [];
  const settings = parsed.optedIn ? parsed.settings : { ...defaultSettings(), explicit: new Set<string>() };
  const range = role === 'prefill' ? settings.prefillReplicas : settings.decodeReplicas;
  const minScale = intAnnotation(input.annotations, `${KN}min-scale`, problems);
  const maxScale = intAnnotation(input.annotations, `${KN}max-scale`, problems);
  const activation = intAnnotation(input.annotations, `${KN}activation-scale`, problems);
  // Knative: min-scale is ignored for an unreachable revision (no route sends it traffic).
  let min = input.reachable ? (minScale ?? range.min) : 0;
  let max = maxScale === undefined || maxScale === 0 ? (parsed.optedIn ? range.max : opts.maxReplicasCap) : maxScale;
  max = Math.min(Math.max(1, max), opts.maxReplicasCap);
  if (min > max) {
    problems.push(`min-scale ${min} > max-scale ${max}; using ${max} for both`);
    min = max;
  }
  const spec = deciderSpec(role, {
    minReplicas: min,
    maxReplicas: max,
    slo: settings.slo,
    scaleToZeroAfterMs: settings.scaleToZeroAfterMs,
    scaleToZeroEnabled: input.scaleToZeroEnabled,
    ...(settings.prefillThroughput !== null ? { capacity: { prefillTokensPerSec: settings.prefillThroughput } } : {}),
    stableWindowMs: opts.stableWindowMs,
    activationScale: Math.max(1, activation ?? 1),
  });
  return { spec, problems };
}

/** A PodAutoscaler of our class → its target; undefined for other classes or a PA without a scale target. */
export function paTarget(
  pa: KubeObject,
  opts: { maxReplicasCap: number; stableWindowMs: number },
): ScaleTarget | undefined {
  const view = podAutoscalerView(pa);
  if (!isOurClass(pa) || view.deleting) return undefined;
  const { namespace, name, labels, scaleTarget } = view;
  if (!scaleTarget || scaleTarget.kind !== 'Deployment') return undefined;
  const { spec, problems } = specFor(
    { annotations: view.annotations, labels, reachable: view.reachable, scaleToZeroEnabled: true },
    opts,
  );
  // The pool links decode and prefill (set on the predictor by our webhook); without it, the revision's service.
  const pool = labels[LABELS.pool] ?? labels[LABELS.kserveIsvc] ?? labels['serving.knative.dev/service'] ?? name;
  return {
    key: `${namespace}/${name}`,
    namespace,
    name,
    role: spec.role,
    pool,
    poolKey: `${namespace}/${pool}`,
    deployment: scaleTarget.name,
    // Knative labels every revision pod with serving.knative.dev/revision (= the PA name).
    podSelector: { 'serving.knative.dev/revision': name },
    spec,
    problems,
    pa,
  };
}

/**
 * Standard mode: an opted-in predictor Deployment. Scale to zero only when an EPP queue buffers requests at
 * zero (nothing else would: KServe's own e2e says requests at zero fail without it, kserve-knative.md §3).
 */
export function deploymentTarget(
  d: KubeObject,
  opts: { maxReplicasCap: number; stableWindowMs: number; eppBuffers: boolean },
): ScaleTarget | undefined {
  const { namespace, name, labels, annotations, deleting, matchLabels } = deploymentView(d);
  if (!labels[LABELS.kserveIsvc] || !parseAnnotations(annotations).optedIn || deleting || !matchLabels)
    return undefined;
  const { spec, problems } = specFor(
    { annotations, labels, reachable: true, scaleToZeroEnabled: opts.eppBuffers },
    opts,
  );
  const pool = labels[LABELS.pool] ?? labels[LABELS.kserveIsvc] ?? name;
  return {
    key: `${namespace}/${name}`,
    namespace,
    name,
    role: spec.role,
    pool,
    poolKey: `${namespace}/${pool}`,
    deployment: name,
    podSelector: matchLabels,
    spec,
    problems,
  };
}
