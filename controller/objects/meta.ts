/**
 * What every generated object shares: its build context, names, labels, owner reference and desired-state
 * hash. Pure.
 */
import { createHash } from 'node:crypto';
import type { KubeObject, OwnerReference } from '../../src/kube.js';
import { boundedChildName, CONTROLLER, eppServiceName } from '../../core/names.js';
import type { InferenceService } from '../../src/types/kube.js';
import type { LlmdSettings } from '../../core/annotations/settings.js';
import type { ControllerConfig } from '../config.js';

export interface BuildContext {
  /** The InferenceService as stored (already mutated by the webhook). */
  isvc: InferenceService;
  name: string;
  namespace: string;
  settings: LlmdSettings;
  config: ControllerConfig;
}

/** JSON with sorted keys: equal objects give equal text whatever order fields were written in. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function shortHash(value: unknown, length = 16): string {
  return createHash('sha256')
    .update(typeof value === 'string' ? value : stableJson(value))
    .digest('hex')
    .slice(0, length);
}

/** `<name>-<suffix>` within 63 characters: core/names.ts boundedChildName (shared with whoever looks it up). */
export function childName(name: string, suffix: string): string {
  return boundedChildName(name, suffix);
}

/**
 * The EPP's name (Service, Deployment, ConfigMap, RBAC): core/names.ts eppServiceName, which the autoscaler uses too.
 */
export function eppName(ctx: Pick<BuildContext, 'name'>): string {
  return eppServiceName(ctx.name);
}

export function ownerLabels(ctx: Pick<BuildContext, 'name'>, component: string): Record<string, string> {
  return {
    'app.kubernetes.io/managed-by': CONTROLLER.managedBy,
    'app.kubernetes.io/part-of': 'kserve-llmd',
    'app.kubernetes.io/component': component,
    [CONTROLLER.ownerLabel]: ctx.name,
  };
}

/**
 * The InferenceService as controller owner: deleting it garbage-collects everything here. No
 * blockOwnerDeletion: setting it needs `update` on inferenceservices/finalizers (OwnerReferencesPermission-
 * Enforcement), and it only matters for foreground deletion.
 */
export function ownerReference(isvc: InferenceService): OwnerReference | undefined {
  const uid = isvc.metadata.uid;
  if (!uid || !isvc.metadata.name) return undefined; // rendered offline: no owner yet
  return { apiVersion: isvc.apiVersion, kind: isvc.kind, name: isvc.metadata.name, uid, controller: true };
}

/** Fill the shared metadata and stamp the hash of everything else (computed before the stamp). */
export function finish(ctx: BuildContext, obj: KubeObject, component: string | null): KubeObject {
  const owner = ownerReference(ctx.isvc);
  const meta = obj.metadata ?? {};
  // component null (the prefill sibling): no labels of ours, because KServe copies an InferenceService's
  // labels onto its Knative Service, Deployment and pods, where they would match our informers' selector.
  const labels = component === null ? meta.labels : { ...ownerLabels(ctx, component), ...(meta.labels ?? {}) };
  const out: KubeObject = {
    ...obj,
    metadata: {
      ...meta,
      namespace: ctx.namespace,
      ...(labels ? { labels } : {}),
      ...(owner ? { ownerReferences: [owner] } : {}),
    },
  };
  const hash = shortHash(out);
  out.metadata = { ...out.metadata, annotations: { ...(meta.annotations ?? {}), [CONTROLLER.hashAnnotation]: hash } };
  return out;
}
